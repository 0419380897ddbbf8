import { usageError } from '../core/errors.ts';

/** A closed window of days, both ends inclusive, in UTC. */
export interface DateWindow {
  /** First day, "YYYY-MM-DD". */
  from: string;
  /** Last day, "YYYY-MM-DD" (inclusive). */
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Parses "2012-07-11..2013-07-11" (both days inclusive); `option` names the flag in errors. */
export function parseDateWindow(text: string, option: string): DateWindow {
  const [from, to, extra] = text.split('..');
  const ok = (d: string | undefined): d is string =>
    d !== undefined && DAY.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
  if (extra !== undefined || !ok(from) || !ok(to)) {
    throw usageError(`${option} must be a date range`, {
      field: option,
      expected: 'FIRST..LAST as YYYY-MM-DD..YYYY-MM-DD, e.g. 2012-07-11..2013-07-11',
      received: JSON.stringify(text),
    });
  }
  if (from > to) throw usageError(`${option} ends before it starts`, { field: option, received: JSON.stringify(text) });
  return { from, to };
}

/** Unix seconds of the window's first instant and last second (what Flickr's upload-date filters take). */
export function unixBounds(window: DateWindow): { min: number; max: number } {
  return { min: Date.parse(`${window.from}T00:00:00Z`) / 1000, max: Date.parse(`${window.to}T23:59:59Z`) / 1000 };
}

/** MySQL datetimes of the window's bounds (what Flickr's taken-date filters take). */
export function mysqlBounds(window: DateWindow): { min: string; max: string } {
  return { min: `${window.from} 00:00:00`, max: `${window.to} 23:59:59` };
}
