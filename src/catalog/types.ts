/**
 * The image catalog: a workspace's classes, its images (collected candidates and original
 * references) and the failures of ingesting them. COLLECT and `retest init` write it; every later
 * stage reads images through it (never the `images`/`classes` tables). One SQL implementation
 * (./sql-catalog.ts) runs on SQLite and PostgreSQL through the database port.
 */
import type { ClassDef } from '../classes/index.ts';
import type { SqlDialect } from '../store/index.ts';

/** Whether an image was collected (a candidate for the new test set) or is an original test image. */
export type ImageRole = 'candidate' | 'reference';

/** One image of the catalog. */
export interface CatalogImage {
  /** Image id: sha1 of the source photo id and source (see src/collect/identity.ts). */
  id: string;
  /** 'candidate' (collected) or 'reference' (an original test/validation image). */
  role: ImageRole;
  /** Class index the image was collected for. */
  classIdx: number;
  /** Source name: 'flickr', 'folder', 'urls', 'arrays', … */
  source: string;
  /** Id within the source (Flickr photo id, file path, URL, array file + record). */
  sourceId: string;
  /** URL it was downloaded from, or null for local files and arrays. */
  url: string | null;
  /** Search keyword it was found with, or null. */
  keyword: string | null;
  /** Hex sha256 of the original file's bytes. */
  sha256: string;
  /** Id of the first-ingested image with the same content, or null for the first. */
  exactDuplicateOf: string | null;
  /** Original file, relative to the workspace folder. */
  originalPath: string;
  /** Display copy (longer side 500, JPEG), relative to the workspace folder. */
  displayPath: string;
  /** Squashed square copy for near-duplicate search, relative to the workspace folder. */
  squarePath: string;
  /** Width of the original after EXIF orientation. */
  width: number;
  /** Height of the original after EXIF orientation. */
  height: number;
  /** ISO time the row was written. */
  createdAt: string;
}

/** A candidate as sampling sees it. */
export interface CandidateImage {
  /** Image id. */
  imageId: string;
  /** Class it was collected for. */
  classIdx: number;
  /** Id of the first image with the same content, or null. */
  exactDuplicateOf: string | null;
}

/** An ingest failure as recorded (a failure of a source id that later succeeded stays: history). */
export interface IngestFailure {
  /** Source name. */
  source: string;
  /** Id within the source. */
  sourceId: string;
  /** Class it was collected for, or null when unknown. */
  classIdx: number | null;
  /** The URL or file that failed. */
  urlOrPath: string;
  /** Why, in words. */
  reason: string;
  /** ISO time. */
  at: string;
}

/** Image counts of the catalog. */
export interface CatalogCounts {
  /** Images per (role, class index). */
  byRoleAndClass: {
    /** Candidate or reference image. */
    role: ImageRole;
    /** Class index the images were ingested for. */
    classIdx: number;
    /** Images with this role and class. */
    n: number;
  }[];
  /** Candidates that are not exact duplicates or cross-class links. */
  distinctCandidates: number;
  /** Failures whose (source, source id) has no image yet. */
  openFailures: number;
}

/** The catalog of one workspace. Every method is one read or one transaction. */
export interface ImageCatalog {
  /** 'sqlite' or 'postgres'. */
  readonly backend: SqlDialect;
  /** Where the catalog is (file path or redacted URL), for messages. */
  readonly location: string;
  /** Writes the class list of a new workspace in one transaction (index, id, names, … as `ClassDef`). */
  addClasses(classes: readonly ClassDef[]): Promise<void>;
  /**
   * The classes by index, decoded once here (the JSON columns never leave this stage). A gap in the
   * indices is a data error naming the row.
   */
  classes(): Promise<ClassDef[]>;
  /** Every candidate, ordered by class then id. */
  candidates(): Promise<CandidateImage[]>;
  /** The images with these ids (unknown ids are left out), ordered by id. */
  images(ids: readonly string[]): Promise<CatalogImage[]>;
  /** Every image (both roles), ordered by id. */
  list(): Promise<CatalogImage[]>;
  /** Whether some image's square or display copy is stored at this workspace-relative path. */
  hasPath(path: string): Promise<boolean>;
  /** One image, or undefined. */
  image(id: string): Promise<CatalogImage | undefined>;
  /** The ids of `ids` that are not in the catalog, in the order given. */
  missing(ids: readonly string[]): Promise<string[]>;
  /** Counts per role and class, distinct candidates, open failures. */
  counts(): Promise<CatalogCounts>;
  /** The most recent ingest failures, newest first, at most `limit`. */
  ingestFailures(limit: number): Promise<IngestFailure[]>;
  /** Ids of a class's reference images, ordered by id, at most `limit`. */
  referenceIds(classIdx: number, limit: number): Promise<string[]>;

  // ── Ingest: COLLECT's writes (src/collect/ingest.ts). ─────────────────────────────────────

  /**
   * The rows of one source photo (one per class it was ingested for), oldest first (by
   * `created_at`, then id: an explicit order, the same on both backends). Every row of a source
   * photo has the same content, so any of them gives its files and its root.
   */
  ingestedRows(source: string, sourceId: string): Promise<IngestedImage[]>;
  /** The id of the first-ingested image with this content (a row's `exactDuplicateOf`, or its own id), or undefined when there is none. */
  contentRoot(sha256: string): Promise<string | undefined>;
  /** Stores one image row; false (nothing written) when its (source, source id, class) is already stored. */
  addImage(image: NewImage): Promise<boolean>;
  /** Records an ingest failure (kept as history even when the source id later succeeds). */
  addIngestFailure(failure: IngestFailure): Promise<void>;
}

/** What ingest reads back about a stored image (`ImageCatalog.ingestedRows`). */
export interface IngestedImage {
  /** Image id. */
  id: string;
  /** Class it was ingested for. */
  classIdx: number;
  /** The first image with the same content, or null. */
  exactDuplicateOf: string | null;
  /** Hex sha256 of the original bytes. */
  sha256: string;
  /** Original, display and square copies, relative to the workspace folder. */
  originalPath: string;
  /** Display copy (JPEG, longer side ≤ 500 px), relative to the workspace folder. */
  displayPath: string;
  /** Square copy (PNG, squashed to the workspace's square size), relative to the workspace folder. */
  squarePath: string;
  /** Size of the original after EXIF orientation. */
  width: number;
  /** Height of the original in pixels, after EXIF orientation. */
  height: number;
  /** Decoded format of the original, or null (rows from before the column). */
  format: string | null;
  /** Size of the original in bytes, or null. */
  bytes: number | null;
}

/** An image row to store (`ImageCatalog.addImage`). */
export interface NewImage extends Omit<CatalogImage, 'createdAt'> {
  /** ISO time the photo was uploaded to its source, or null. */
  uploadedAt: string | null;
  /** ISO time the photo was taken, or null. */
  takenAt: string | null;
  /** ISO time the row is written. */
  createdAt: string;
  /** Decoded format of the original. */
  format: string | null;
  /** Size of the original in bytes. */
  bytes: number | null;
}
