/**
 * What crosses the thread boundary of the crop pool, both ways.
 */
import type { CropSource, CropSpec } from './types.ts';

/** One image to crop. Pixel sources are sent with their buffer transferred. */
export interface CropTask {
  source: CropSource;
  spec: CropSpec;
}

/** A crop that failed, as plain data (a RetestError's fields; kind null for other errors). */
export interface CropTaskFailure {
  failure: {
    kind: string | null;
    message: string;
    file: string | undefined;
    field: string | undefined;
    expected: string | undefined;
    received: string | undefined;
    hint: string | undefined;
  };
}
