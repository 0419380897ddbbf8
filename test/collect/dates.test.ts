import { describe, expect, it } from 'vitest';
import { mysqlBounds, parseDateWindow, unixBounds } from '../../src/collect/index.ts';

describe('date windows', () => {
  it('parses FIRST..LAST with both days inclusive', () => {
    const w = parseDateWindow('2012-07-11..2013-07-11', '--uploaded');
    expect(w).toEqual({ from: '2012-07-11', to: '2013-07-11' });
    expect(unixBounds(w)).toEqual({ min: 1341964800, max: 1373587199 });
    expect(mysqlBounds(w)).toEqual({ min: '2012-07-11 00:00:00', max: '2013-07-11 23:59:59' });
  });

  it('rejects malformed, impossible and reversed windows, naming the option', () => {
    expect(() => parseDateWindow('2012-07-11', '--uploaded')).toThrow(/--uploaded must be a date range/);
    expect(() => parseDateWindow('2012-02-30..2012-03-01', '--taken')).toThrow(/--taken must be a date range/);
    expect(() => parseDateWindow('2013-01-01..2012-01-01', '--uploaded')).toThrow(/ends before it starts/);
    expect(() => parseDateWindow('2012-01-01..2012-02-01..2012-03-01', '--uploaded')).toThrow(/date range/);
  });
});
