export type * from './types.ts';
export { pillowResize, pillowResizeCrop, axisCoefficients } from './pillow-resample.ts';
export { PILLOW_FILTERS } from './pillow-filters.ts';
export { pillowConvertRgb } from './pillow-convert.ts';
export { cropImage, openRgb, cropSourceName } from './crop-image.ts';
export { createCropPool, type CropPool, type CropPoolOptions } from './crop-pool.ts';
export { contactSheet } from './contact-sheet.ts';
export { cropGeometry, type CropMode, type CropGeometry } from './crop-geometry.ts';
