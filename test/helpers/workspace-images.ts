/**
 * Image rows for workspace fixtures, written through the catalog's port (no blobs behind them):
 * what tests of later stages need when they do not ingest real files.
 */
import type { ImageRole, NewImage } from '../../src/catalog/index.ts';
import type { Workspace } from '../../src/workspace/index.ts';

/** The fields a fixture names; the rest get placeholder values (paths 'o'/'d'/'s', 32×32, sha256 = id). */
export type FixtureImage = Pick<NewImage, 'id' | 'classIdx'> & { role: ImageRole } & Partial<NewImage>;

/** The full catalog row of a fixture image. */
export function fixtureImage(image: FixtureImage): NewImage {
  return {
    source: 'test',
    sourceId: image.id,
    url: null,
    keyword: null,
    sha256: image.id,
    exactDuplicateOf: null,
    originalPath: 'o',
    displayPath: 'd',
    squarePath: 's',
    width: 32,
    height: 32,
    uploadedAt: null,
    takenAt: null,
    createdAt: '2026-01-01T00:00:00Z',
    format: null,
    bytes: null,
    ...image,
  };
}

const COLUMNS = [
  ['id', 'id'],
  ['role', 'role'],
  ['class_idx', 'classIdx'],
  ['source', 'source'],
  ['source_id', 'sourceId'],
  ['url', 'url'],
  ['keyword', 'keyword'],
  ['sha256', 'sha256'],
  ['exact_duplicate_of', 'exactDuplicateOf'],
  ['original_path', 'originalPath'],
  ['display_path', 'displayPath'],
  ['square_path', 'squarePath'],
  ['width', 'width'],
  ['height', 'height'],
  ['uploaded_at', 'uploadedAt'],
  ['taken_at', 'takenAt'],
  ['created_at', 'createdAt'],
  ['format', 'format'],
  ['bytes', 'bytes'],
] as const satisfies readonly (readonly [string, keyof NewImage])[];

/** Inserts image rows into an open workspace in one transaction (thousands at once: one multi-row statement per chunk). */
export async function addFixtureImages(ws: Workspace, images: readonly FixtureImage[]): Promise<void> {
  const rows = images.map((image) => {
    const full = fixtureImage(image);
    return COLUMNS.map(([, field]) => full[field]);
  });
  await ws.sql.insertMany(
    'images',
    COLUMNS.map(([column]) => column),
    rows,
  );
}

/** `n` images per class and role, with ids `<c|r><class>-<000>` (candidate c, reference r). */
export function imagesPerClass(counts: { candidates?: Record<number, number>; references?: Record<number, number> }): FixtureImage[] {
  const out: FixtureImage[] = [];
  for (const [role, perClass] of [
    ['candidate', counts.candidates ?? {}],
    ['reference', counts.references ?? {}],
  ] as const) {
    for (const [c, n] of Object.entries(perClass)) {
      for (let i = 0; i < n; i++) out.push({ id: `${role[0]}${c}-${String(i).padStart(3, '0')}`, role, classIdx: Number(c) });
    }
  }
  return out;
}

/** A row of the catalog's `images` table as stored (snake_case), for tests that read the table itself. */
export interface ImageTableRow {
  /** sha1(source photo id + source name) (see src/collect/identity.ts). */
  id: string;
  /** 'candidate' (collected) or 'reference' (an original test/validation image). */
  role: 'candidate' | 'reference';
  /** Class index the image was collected for. */
  class_idx: number;
  /** Source name: 'flickr', 'folder', 'urls', 'arrays', … */
  source: string;
  /** Id within the source. */
  source_id: string;
  /** URL it was downloaded from, or null for local files/arrays. */
  url: string | null;
  /** Search keyword it was found with (lemma, Tiny Images keyword), or null. */
  keyword: string | null;
  /** Hex sha256 of the original file's bytes (arrays: of the PNG written as the original). */
  sha256: string;
  /** Id of the first image with the same content, or null. */
  exact_duplicate_of: string | null;
  /** Original file, relative to the workspace. */
  original_path: string;
  /** Longer-side-500 JPEG q90 copy, relative to the workspace. */
  display_path: string;
  /** 256×256 squashed PNG copy, relative to the workspace. */
  square_path: string;
  /** Width of the original after EXIF orientation. */
  width: number;
  /** Height of the original after EXIF orientation. */
  height: number;
  /** ISO time the photo was uploaded to its source, or null. */
  uploaded_at: string | null;
  /** ISO time the photo was taken, or null. */
  taken_at: string | null;
  /** ISO time the row was written. */
  created_at: string;
  /** Decoded format of the original (jpeg, png, …). */
  format: string | null;
  /** Size of the original in bytes. */
  bytes: number | null;
}
