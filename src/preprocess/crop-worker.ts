/**
 * Worker-thread entry of the crop pool (piscina): decodes and crops one image, answers the crop's
 * bytes (moved, not copied) or the failure as data, since a thrown RetestError would lose its
 * fields crossing threads.
 */
import { move } from 'piscina';
import { toWireError } from '../core/wire-error.ts';
import { cropImage } from './crop-image.ts';
import type { CropTask, CropTaskFailure } from './crop-task.ts';

export default async function cropTask(task: CropTask): Promise<Uint8Array | CropTaskFailure> {
  try {
    const crop = await cropImage(task.source, task.spec);
    return move(crop.data) as Uint8Array;
  } catch (error) {
    return { failure: toWireError(error) };
  }
}
