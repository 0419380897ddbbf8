import { describe, expect, it } from 'vitest';
import { formatBytes, silentProgress, terminalProgress } from '../../src/core/progress.ts';

describe('formatBytes', () => {
  it('uses binary units with one decimal', () => {
    expect([0, 1023, 1536, 6_144_128, 3 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.5 KiB', '5.9 MiB', '3.0 GiB']);
  });
});

describe('terminalProgress', () => {
  it('is silent with --json or when stderr is not a terminal', () => {
    expect(terminalProgress({ quiet: true })).toBe(silentProgress);
    if (!process.stderr.isTTY) expect(terminalProgress({ unit: 'images' })).toBe(silentProgress);
  });
});
