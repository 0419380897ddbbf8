/**
 * Errors across a thread boundary. A thrown RetestError loses its class and fields when a worker
 * thread (piscina) passes it back, so workers answer failures as data and the caller rebuilds the
 * RetestError it was: kind, message, file/record/field, expected/received, hint and issues. Other
 * errors come back as plain Errors with their message and stack.
 */
import { isRetestError, RetestError, type ProblemIssue, type RetestErrorDetails, type RetestErrorKind } from './errors.ts';

/** A failure as plain (structured-cloneable) data: a RetestError's details without its cause. */
export interface WireError extends Omit<RetestErrorDetails, 'cause' | 'issues'> {
  /** The RetestError kind, or null for any other error (a bug). */
  kind: RetestErrorKind | null;
  message: string;
  issues?: ProblemIssue[];
  /** The stack of an error that was not a RetestError (a bug), for the report. */
  stack?: string;
}

/** What a worker answers instead of throwing. */
export interface WireFailure {
  failure: WireError;
}

export function toWireError(error: unknown): WireError {
  if (isRetestError(error)) {
    const out: WireError = { kind: error.kind, message: error.message };
    for (const key of ['file', 'field', 'expected', 'received', 'hint'] as const) if (error[key] !== undefined) out[key] = error[key];
    if (error.record !== undefined) out.record = error.record;
    if (error.issues.length > 0) out.issues = [...error.issues];
    return out;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: null, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

export function fromWireError(wire: WireError, context = 'worker thread'): Error {
  if (wire.kind !== null) {
    const { kind, message, stack: _stack, ...details } = wire;
    return new RetestError(kind, message, details);
  }
  const error = new Error(`${context} failed: ${wire.message}`);
  if (wire.stack) error.stack = wire.stack;
  return error;
}

export function isWireFailure(value: unknown): value is WireFailure {
  return typeof value === 'object' && value !== null && 'failure' in value && typeof (value as WireFailure).failure === 'object';
}
