// The image catalog: a workspace's classes, images and ingest failures, behind `ImageCatalog`.
export type { ImageCatalog, CatalogImage, CatalogCounts, CandidateImage, ImageRole, IngestFailure, IngestedImage, NewImage } from './types.ts';
export { createImageCatalog } from './sql-catalog.ts';
export { catalogMigrations } from './schema.ts';
