/**
 * A workspace: one folder holding everything a dataset builder produces (DESIGN §1.1–1.7).
 *
 * ```
 * my-v2/
 *   retest.json     the config (WorkspaceConfig)
 *   workspace.db    SQLite: classes, images, ingest_failures + every later stage's tables
 *   blobs/          image files; paths stored in the database are relative to the workspace folder
 * ```
 *
 * Or, with `retest init DIR --workspace-db postgres://…`, the tables live in a PostgreSQL schema
 * (`config.database`) and the folder holds only `retest.json` and `blobs/`.
 *
 * COLLECT's core tables (src/workspace/schema.ts), as agreed in the team plan, plus these additions:
 * - `classes.hypernyms TEXT` (JSON array of ids) and `classes.hypernym_names TEXT` (JSON array of
 *   the hypernyms' lemmas) — added columns.
 * - `images.format TEXT` (decoded format of the original: jpeg, png, webp, …) and `images.bytes INTEGER`
 *   (size of the original) — added columns.
 * - `images.source_id` is the id within the source (Flickr photo id, file path relative to the
 *   folder, URL, array file + record index); `(source, source_id, class_idx)` is UNIQUE: the same
 *   photo found under two classes gives two rows with distinct ids (the second id hashes the class in,
 *   see src/collect/identity.ts) whose `exact_duplicate_of` points at the first.
 * - `images.exact_duplicate_of` — the id of the first-ingested image with the same `sha256`
 *   (content duplicates across sources, and the same photo under two classes); NULL for the first.
 * - indexes: images(class_idx, role), images(sha256), images(source, source_id).
 * - `ingest_failures` has an INTEGER PRIMARY KEY `id` and a `class_idx` column; failures of a
 *   source id that later succeeds stay recorded (history), `retest collect` reports the open ones.
 */
import type { ClassDef } from '../classes/index.ts';
import type { SqlDatabase, SqlDialect, SqlMigration } from '../store/index.ts';

/** Contents of `retest.json`. */
export interface WorkspaceConfig {
  /** Config format version; currently 1. */
  version: 1;
  /** Where the classes came from: 'imagenet', 'cifar10', or the custom JSON file's absolute path at init time. */
  classSource: string;
  /** Number of classes (also in the `classes` table, which is authoritative). */
  numClasses: number;
  /** Longer side in pixels of the display copy shown to labellers, evaluated and exported (default 500). */
  displayLongerSide: number;
  /** JPEG quality of the display copy (default 90). */
  displayJpegQuality: number;
  /**
   * Side in pixels of the squashed square copy used for near-duplicate search: 256 by default, 32
   * for `--classes cifar10` workspaces (CIFAR-10.1 compared 32×32 pixels; 256×256 upscales would only
   * cost disk). Read it from here rather than assuming 256.
   */
  squareSize: number;
  /** ISO time the workspace was created. */
  createdAt: string;
  /**
   * The workspace's database when it is PostgreSQL: `postgres://user@host[:port]/db?schema=NAME`
   * (always with its schema, never with a password; `retest init --workspace-db`). Absent: the
   * SQLite file `workspace.db` in the folder.
   */
  database?: string;
}

/** An open workspace. Close it when done (`closeWorkspace`). */
export interface Workspace {
  /** Absolute path of the workspace folder. */
  dir: string;
  /** 'sqlite' (`workspace.db` in the folder) or 'postgres' (`config.database`). */
  backend: SqlDialect;
  /** The workspace database (SQLite or PostgreSQL, through the port): the stage stores (catalog, sample, …) are built on it. */
  sql: SqlDatabase;
  /** The parsed `retest.json`. */
  config: WorkspaceConfig;
  /** The classes, by index (from the `classes` table). */
  classes: ClassDef[];
  /** Absolute path of the blob folder (`<dir>/blobs`). */
  blobDir: string;
}

/** Options for `initWorkspace`. */
export interface InitWorkspaceOptions {
  /** 'imagenet', 'cifar10', a path to a classes JSON file, or the class list itself. */
  classes: string | ClassDef[];
  /** Override the display copy's longer side (default 500). */
  displayLongerSide?: number;
  /** Override the display copy's JPEG quality (default 90). */
  displayJpegQuality?: number;
  /** Override the square copy's side (default 256; 32 for cifar10). */
  squareSize?: number;
  /**
   * A PostgreSQL URL (`postgres://user@host[:port]/db[?schema=NAME]`) for the workspace's tables
   * instead of `workspace.db`; the schema defaults to `ws_<folder name>`. Only `createWorkspace`
   * (async) takes it.
   */
  database?: string;
}

/** Options for opening a workspace. */
export interface OpenWorkspaceOptions {
  /** Every stage's migrations (composed by src/app/migrations.ts); the pending ones are applied. */
  migrations: readonly SqlMigration[];
}
