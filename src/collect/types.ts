/**
 * Candidate collection (DESIGN §1.2): interchangeable sources yield candidates; one ingest step
 * downloads/reads, hashes, decodes and stores them in the workspace.
 */
import type { RgbImage } from '../formats/index.ts';

/** Where a candidate's image bytes come from: exactly one of these. */
export type CandidateContent =
  /** An http(s) URL to download (size limit and timeout apply). */
  | {
      /** The http(s) URL of the image. */
      url: string;
      /** Absent: a URL candidate has no local file. */
      path?: never;
      /** Absent: a URL candidate has no decoded pixels. */
      pixels?: never;
    }
  /** A local image file (JPEG, PNG, WebP, …). */
  | {
      /** Path of the image file on this machine. */
      path: string;
      /** Absent: a file candidate is not downloaded. */
      url?: never;
      /** Absent: a file candidate is decoded at ingest. */
      pixels?: never;
    }
  /** Decoded pixels (CIFAR/NPY arrays); stored losslessly as PNG. */
  | {
      /** The decoded RGB pixels. */
      pixels: RgbImage;
      /** Absent: pixel candidates are not downloaded. */
      url?: never;
      /** Absent: pixel candidates have no image file. */
      path?: never;
    };

/** One candidate found by a source. */
export type Candidate = CandidateContent & {
  /** Source name, part of the id: 'flickr', 'folder', 'urls', 'arrays', or a CSV's `source` column. */
  source: string;
  /** Id within the source: Flickr photo id, absolute file path, URL, `<array file>#<record>`. */
  sourceId: string;
  /** Class index it was collected for. */
  classIdx: number;
  /** Search keyword it was found with (a lemma, a Tiny Images keyword); absent when none. */
  keyword?: string;
  /** ISO 8601 time of upload to the source (UTC), when known. */
  uploadedAt?: string;
  /** When the photo was taken, as the source gives it (Flickr: camera-local "YYYY-MM-DDTHH:MM:SS"), when known. */
  takenAt?: string;
};

/** A candidate the source could not even produce (no downloadable size, unreadable CSV row, …). */
export interface SourceFailure {
  /** Source name. */
  source: string;
  /** Id within the source, or a row/record reference when there is no id. */
  sourceId: string;
  /** Class index, when known. */
  classIdx?: number;
  /** The URL or path concerned. */
  urlOrPath: string;
  /** Why, in a short sentence. */
  reason: string;
}

/** What a source is given while it runs. */
export interface SourceContext {
  /** Records a failure (the ingest step writes it to `ingest_failures`). */
  onFailure(failure: SourceFailure): void;
  /** Aborts long searches (Ctrl-C). */
  signal?: AbortSignal;
}

/** A source of candidates: Flickr search, a folder, a URL list, image arrays. */
export interface CandidateSource {
  /** Short name for messages ('flickr', 'folder', …); candidates carry their own `source`. */
  readonly name: string;
  /** Upper bound on how many candidates it will yield, when known in advance (for progress). */
  readonly expected: number | undefined;
  /** Yields candidates in a deterministic order. May be called once. */
  candidates(context: SourceContext): AsyncIterable<Candidate>;
}

/** Options of the ingest step. */
export interface IngestOptions {
  /** 'candidate' (default) or 'reference' (original test/validation images). */
  role?: 'candidate' | 'reference';
  /** Images processed at once (downloads + sharp); default 4. */
  concurrency?: number;
  /** Largest download accepted, in bytes; default 25 MiB. Larger ones are recorded as failures. */
  maxBytes?: number;
  /** Per-download timeout in milliseconds; default 30 000. */
  timeoutMs?: number;
  /** Retries of a download on network errors, 5xx and 429; default 2. */
  downloadRetries?: number;
  /** The fetch used for downloads (tests inject one); default global fetch. */
  fetch?: typeof fetch;
  /** Progress reporting; default silent. */
  progress?: import('../core/progress.ts').Progress;
  /** Clock for created_at/at fields (tests). */
  now?: () => Date;
  /**
   * Reads/downloads a candidate and writes its three files, instead of `storeCandidate` in this
   * process (`retest collect --queue`: workers did it). A `DownloadFailure` it throws is recorded as
   * the candidate's failure, with its message as the reason.
   */
  storeContent?: (candidate: Candidate) => Promise<StoredContent>;
}

/** The stored files and facts of one image's content (paths relative to the workspace). */
export interface StoredContent {
  /** Hex sha256 of the original bytes (the content's identity; equal hashes are exact duplicates). */
  sha256: string;
  /** The original file as received, under blobs/. */
  originalPath: string;
  /** The display copy (longer side `displayLongerSide`, JPEG) shown to labellers and exported. */
  displayPath: string;
  /** The squashed square copy (`squareSize`²) near-duplicate search reads. */
  squarePath: string;
  /** Width of the original, in pixels. */
  width: number;
  /** Height of the original, in pixels. */
  height: number;
  /** The original's format as decoded ("jpeg", "png", "webp", …). */
  format: string;
  /** Size of the original in bytes. */
  bytes: number;
}

/** What storing content needs of a workspace: its folder and its image sizes. */
export interface StoreTarget {
  /** The workspace folder (blobs/ is below it). */
  dir: string;
  /** The image sizes of the workspace's retest.json. */
  config: StoreSizes;
}

/** The sizes of the stored copies. */
export interface StoreSizes {
  /** Longer side of the display copy, in pixels. */
  displayLongerSide: number;
  /** JPEG quality of the display copy. */
  displayJpegQuality: number;
  /** Side of the square copy, in pixels. */
  squareSize: number;
}

/** What an ingest run did. */
export interface IngestSummary {
  /** Candidates the source yielded. */
  seen: number;
  /** New rows written to `images` (including linked rows). */
  ingested: number;
  /** Candidates skipped because their id was already ingested (resume). */
  skipped: number;
  /** New rows whose content equals an earlier image (`exact_duplicate_of` set). */
  exactDuplicates: number;
  /** New rows for a photo already ingested under another class (linked, blobs shared). */
  otherClassLinks: number;
  /** Failures recorded in `ingest_failures` during this run. */
  failed: number;
  /** Up to 10 failure reasons with counts, most frequent first. */
  failureReasons: FailureReason[];
}

/** One failure reason of an ingest run and how often it occurred. */
export interface FailureReason {
  /** The reason as recorded in `ingest_failures` (e.g. "HTTP 404", "not an image"). */
  reason: string;
  /** Failures with that reason in this run. */
  count: number;
}
