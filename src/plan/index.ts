export type * from './types.ts';
export { accuracyPrecision, imagesForHalfWidth } from './accuracy-precision.ts';
export { dropSampleSize, dropTestPower, equalSizeForDrop } from './drop-sample-size.ts';
export { slopeByModelCount } from './slope-by-model-count.ts';
export { answersForError, answersForMeanError } from './answers-for-error.ts';
export { upwardFillShortfall, candidatesToFill } from './upward-fill.ts';
export { planFromPilot, type PilotClass, type PilotPlanOptions } from './pilot-plan.ts';
export { readPilot, type PilotSources } from './read-pilot.ts';
