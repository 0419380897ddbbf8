/**
 * Where an image's crop comes from, for the three crop modes of timm's eval transform
 * (`timm/data/transforms_factory.py`, `transforms_imagenet_eval`; `timm/data/transforms.py`):
 *
 * - `center` (torchvision's classic): `Resize(resize)` — shorter side to `resize`, longer side
 *   int(resize·long/short) — then `CenterCrop(crop)`, offsets int(round((side − crop)/2)).
 * - `squash`: `Resize((resize, resize))` — both sides to `resize`, the aspect ratio not kept —
 *   then `CenterCrop(crop)`.
 * - `border`: `ResizeKeepRatio((resize, resize), longest=1)` — ratio = max(h/resize, w/resize),
 *   each side round(side / ratio) (Python's round: half to even) — then `CenterCropOrPad(crop,
 *   fill)`: a side shorter than the crop is padded with (crop − side)//2 before and
 *   (crop − side + 1)//2 after, in `fill`; a longer side is center-cropped as above.
 *
 * Python's `round` and torchvision's `int(round(x))` are both half to even.
 */
import { resizeCropGeometry, roundHalfEven } from '../formats/index.ts';

/** timm's `crop_mode`. */
export type CropMode = 'center' | 'squash' | 'border';

/**
 * The resize and the crop box in the resized image's pixel coordinates. In `border` mode the box
 * may reach outside the resized image (negative `left`/`top`, or past its right/bottom edge):
 * those pixels are the padding.
 */
export interface CropGeometry {
  /** Width after resizing. */
  resizedWidth: number;
  /** Height after resizing. */
  resizedHeight: number;
  /** Column of the resized image at the crop's first column (negative: padding on the left). */
  left: number;
  /** Row of the resized image at the crop's first row (negative: padding on top). */
  top: number;
  /** Crop side (the crop is square). */
  crop: number;
}

/** The geometry of one image of `width`×`height` for a mode, resize and crop. */
export function cropGeometry(width: number, height: number, mode: CropMode, resize: number, crop: number): CropGeometry {
  if (mode === 'center') return { ...resizeCropGeometry(width, height, resize, crop), crop };
  if (mode === 'squash') {
    const offset = roundHalfEven((resize - crop) / 2);
    return { resizedWidth: resize, resizedHeight: resize, left: offset, top: offset, crop };
  }
  // ResizeKeepRatio with longest = 1: ratio = max(ratio_h, ratio_w)·1 + min(…)·0.
  const ratio = Math.max(height / resize, width / resize);
  const resizedHeight = roundHalfEven(height / ratio);
  const resizedWidth = roundHalfEven(width / ratio);
  const offset = (side: number) => (crop > side ? -Math.floor((crop - side) / 2) : roundHalfEven((side - crop) / 2));
  return { resizedWidth, resizedHeight, left: offset(resizedWidth), top: offset(resizedHeight), crop };
}
