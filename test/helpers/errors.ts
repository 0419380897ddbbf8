import { expect } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';

/** Runs `fn`, expects it to throw a RetestError, and returns it for assertions on its fields. */
export function catchError(fn: () => unknown): RetestError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RetestError);
    return error as RetestError;
  }
  throw new Error('expected an error');
}

/** Awaits `promise`, expects it to reject with a RetestError, and returns it. */
export async function rejection(promise: Promise<unknown>): Promise<RetestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RetestError);
    return error as RetestError;
  }
  throw new Error('expected an error');
}
