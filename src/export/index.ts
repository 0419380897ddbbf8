export type * from './types.ts';
export { exportImageFolder, exportNpy, type ExportOptions, type ExportStores, type NpyExportOptions } from './export-revision.ts';
