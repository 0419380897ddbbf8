import { RetestError, type RetestErrorDetails } from '../core/index.ts';
import type { LabelRefusal } from './types.ts';

/**
 * A refused claim or submission. A `RetestError` (kind 'data') with a machine-readable `reason`
 * that the server maps to an HTTP status (not-found 404, not-owner 403, expired/rejected 409, bad-item 400).
 */
export class LabelError extends RetestError {
  /** Why it was refused. */
  readonly reason: LabelRefusal;

  constructor(reason: LabelRefusal, message: string, details: RetestErrorDetails = {}) {
    super('data', message, details);
    this.name = 'LabelError';
    this.reason = reason;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

export function isLabelError(value: unknown): value is LabelError {
  return value instanceof LabelError;
}
