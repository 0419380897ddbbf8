/**
 * What crosses the thread boundary of the crop pool, both ways.
 */
import type { WireFailure } from '../core/wire-error.ts';
import type { CropSource, CropSpec } from './types.ts';

/** One image to crop. Pixel sources are sent with their buffer transferred. */
export interface CropTask {
  source: CropSource;
  spec: CropSpec;
}

/** A crop that failed, as plain data (the RetestError it was, rebuilt by the pool). */
export type CropTaskFailure = WireFailure;
