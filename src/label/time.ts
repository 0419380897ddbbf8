import { usageError } from '../core/index.ts';
import type { Instant } from './types.ts';

/** A Date or ISO string as a canonical ISO string (UTC, milliseconds). */
export function toIso(now: Instant): string {
  const date = typeof now === 'string' ? new Date(now) : now;
  if (Number.isNaN(date.getTime())) throw usageError('not a valid time', { received: String(now), expected: 'an ISO-8601 time such as 2026-01-31T12:00:00Z' });
  return date.toISOString();
}

/** `iso` plus `seconds`. */
export function addSeconds(iso: string, seconds: number): string {
  return new Date(new Date(iso).getTime() + seconds * 1000).toISOString();
}
