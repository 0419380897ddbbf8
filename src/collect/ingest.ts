/**
 * The ingest step (DESIGN §1.2): for each candidate of a source, read or download its bytes, hash
 * them, apply EXIF orientation and convert to RGB, and store three files under `blobs/`:
 *
 *   blobs/original/<ab>/<sha256>.<ext>   the bytes as found (arrays: a lossless PNG)
 *   blobs/display/<ab>/<sha256>.jpg      longer side ≤ 500 px (never enlarged), JPEG q90
 *   blobs/square/<ab>/<sha256>.png       squashed to 256×256 (workspace config), PNG
 *
 * Files are content-addressed, so identical images share them. One `images` row per candidate;
 * rows whose content equals an earlier row get `exact_duplicate_of` = that earlier row's root id;
 * the same source photo under another class gets a linked row (see ./identity.ts). Resumable: a
 * (source, source id, class) already ingested is skipped. Downloads run concurrently, but rows are
 * written in source order, so the result does not depend on the concurrency. Every failure is recorded in
 * `ingest_failures` with its URL or path and reason, never silently dropped. Rows go through the
 * catalog (`ImageCatalog`, src/catalog) on the workspace's database, SQLite or PostgreSQL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { isRetestError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { silentProgress } from '../core/progress.ts';
import { encodeJpeg, encodePng, imageInfo, resizeExact, resizeLongerSide, writeFileAtomic, type RgbImage } from '../formats/index.ts';
import { createImageCatalog, type ImageCatalog, type IngestedImage } from '../catalog/index.ts';
import type { Workspace } from '../workspace/index.ts';
import { DownloadFailure, downloadBytes } from '../core/http.ts';
import { candidateId, linkedCandidateId } from './identity.ts';
import type { Candidate, CandidateSource, IngestOptions, IngestSummary, SourceFailure, StoredContent, StoreTarget } from './types.ts';

const EXTENSIONS: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tif', avif: 'avif', heif: 'heic', svg: 'svg' };

/** Stored files and facts of one image's content. */
type Stored = StoredContent;

/** Ingests every candidate of `source` into the workspace. */
export async function ingest(workspace: Workspace, source: CandidateSource, options: IngestOptions = {}): Promise<IngestSummary> {
  const run = new IngestRun(workspace, options);
  const progress = options.progress ?? silentProgress;
  progress.start(source.expected ?? 0, 0, run.role === 'reference' ? 'references' : 'candidates');
  try {
    const candidates = source.candidates({ onFailure: (f) => run.sourceFailed(f) });
    const failure = await prepareAndWriteInOrder(
      candidates,
      Math.max(1, options.concurrency ?? 4),
      (c) => run.prepare(c),
      () => progress.tick(),
    );
    await run.failuresWritten();
    if (failure) throw failure.reason;
  } finally {
    progress.stop();
  }
  return run.summary();
}

/**
 * Runs `prepare` on the candidates with `concurrency` workers (pulls serialised, each candidate
 * numbered in source order) and runs the writes it returns one at a time in source order, whatever
 * the order the preparations finish in: "first occurrence wins" and the rows are the same at any
 * concurrency. On an error the other workers finish their current candidate (its row is written);
 * the first error is returned.
 */
async function prepareAndWriteInOrder(
  candidates: AsyncIterable<Candidate>,
  concurrency: number,
  prepare: (c: Candidate) => Promise<() => Promise<void>>,
  written: () => void,
): Promise<PromiseRejectedResult | undefined> {
  const next = serialPuller(candidates[Symbol.asyncIterator]());
  const writer = new OrderedWrites(written);
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const { item, seq } = await next();
      if (item.done) return;
      await writer.add(seq, await prepare(item.value));
    }
  };
  const settled = await Promise.allSettled(
    Array.from({ length: concurrency }, () =>
      worker().catch((error: unknown) => {
        stop = true;
        throw error;
      }),
    ),
  );
  return settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
}

/** `next()` of an iterator, one pull at a time, each item with its position (-1 when done). */
function serialPuller<T>(iterator: AsyncIterator<T>): () => Promise<{ item: IteratorResult<T>; seq: number }> {
  let queue: Promise<unknown> = Promise.resolve();
  let pulled = 0;
  return () => {
    const p = queue.then(() => iterator.next()).then((item) => ({ item, seq: item.done ? -1 : pulled++ }));
    queue = p.catch(() => undefined);
    return p;
  };
}

/** Writes numbered 0, 1, 2, …, run one at a time in that order as they become available. */
class OrderedWrites {
  private readonly pending = new Map<number, () => Promise<void>>();
  private written = 0;
  // One drain at a time: the next waits for the one before (a failed write fails every later flush).
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly onWritten: () => void) {}

  /** Adds write number `seq`; resolves once every write up to the last available one ran. */
  add(seq: number, write: () => Promise<void>): Promise<void> {
    this.pending.set(seq, write);
    this.flushing = this.flushing.then(() => this.drain());
    return this.flushing;
  }

  private async drain(): Promise<void> {
    for (let write = this.pending.get(this.written); write; write = this.pending.get(this.written)) {
      this.pending.delete(this.written);
      await write();
      this.written++;
      this.onWritten();
    }
  }
}

/** One ingest's state: the catalog, the counts and the failures recorded. */
class IngestRun {
  readonly role: 'candidate' | 'reference';
  private readonly catalog: ImageCatalog;
  private readonly now: () => Date;
  private readonly counts: IngestSummary = { seen: 0, ingested: 0, skipped: 0, exactDuplicates: 0, otherClassLinks: 0, failed: 0, failureReasons: [] };
  private readonly reasons = new Map<string, number>();
  // Failures reported by the source itself (outside the ordered writes) are written as they come; ingest waits for them at the end.
  private readonly failureWrites: Promise<void>[] = [];

  constructor(
    private readonly workspace: Workspace,
    private readonly options: IngestOptions,
  ) {
    this.catalog = createImageCatalog(workspace.sql);
    this.role = options.role ?? 'candidate';
    this.now = options.now ?? (() => new Date());
  }

  /** A failure the source reported (a listing that failed, a file it could not read). */
  sourceFailed(f: SourceFailure): void {
    this.failureWrites.push(this.recordFailure(f));
  }

  failuresWritten(): Promise<unknown> {
    return Promise.all(this.failureWrites);
  }

  /** The counts, with the ten commonest failure reasons. */
  summary(): IngestSummary {
    const failureReasons = [...this.reasons]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([reason, count]) => ({ reason, count }));
    return { ...this.counts, failureReasons };
  }

  private recordFailure(f: SourceFailure): Promise<void> {
    const write = this.catalog.addIngestFailure({
      source: f.source,
      sourceId: f.sourceId,
      classIdx: f.classIdx ?? null,
      urlOrPath: f.urlOrPath,
      reason: f.reason,
      at: this.now().toISOString(),
    });
    this.counts.failed++;
    const key = f.reason.replace(/\d{5,}/g, 'N').slice(0, 120);
    this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
    return write;
  }

  /** Does the slow part (download, decode, files) and returns the database write, run later in source order. */
  async prepare(c: Candidate): Promise<() => Promise<void>> {
    this.counts.seen++;
    const where = c.url ?? c.path ?? `${c.sourceId}`;
    const classes = this.workspace.classes.length;
    if (!Number.isInteger(c.classIdx) || c.classIdx < 0 || c.classIdx >= classes) {
      const reason = `class index ${c.classIdx} is not a class of the workspace (0…${classes - 1})`;
      return () => this.recordFailure({ source: c.source, sourceId: c.sourceId, urlOrPath: where, reason });
    }
    // Resume and cross-class links need no download.
    const existing = await this.catalog.ingestedRows(c.source, c.sourceId);
    if (existing.length > 0) return () => this.writeRow(c, existing[0]!);
    let stored: Stored;
    try {
      stored = await (this.options.storeContent ? this.options.storeContent(c) : storeCandidate(this.workspace, c, this.options));
    } catch (error) {
      const reason = ingestFailureReason(error);
      if (reason === null) throw error;
      return () => this.recordFailure({ source: c.source, sourceId: c.sourceId, classIdx: c.classIdx, urlOrPath: where, reason });
    }
    return () => this.writeRow(c, stored);
  }

  /** Writes the row (the writes run one at a time, in source order: check-and-insert never interleaves within this process). */
  private async writeRow(c: Candidate, stored: Stored | IngestedImage): Promise<void> {
    const existing = await this.catalog.ingestedRows(c.source, c.sourceId);
    if (existing.some((r) => r.classIdx === c.classIdx)) {
      this.counts.skipped++;
      return;
    }
    const first = existing[0];
    const classId = this.workspace.classes[c.classIdx]?.id ?? String(c.classIdx);
    const id = first ? linkedCandidateId(c.sourceId, c.source, classId) : candidateId(c.sourceId, c.source);
    const s = toStored(stored);
    // The same photo under another class links to its first row; other content equal to an earlier row's is its duplicate.
    const duplicateOf = first ? (first.exactDuplicateOf ?? first.id) : ((await this.catalog.contentRoot(s.sha256)) ?? null);
    const added = await this.catalog.addImage({
      id,
      role: this.role,
      classIdx: c.classIdx,
      source: c.source,
      sourceId: c.sourceId,
      url: c.url ?? null,
      keyword: c.keyword ?? null,
      sha256: s.sha256,
      exactDuplicateOf: duplicateOf,
      originalPath: s.originalPath,
      displayPath: s.displayPath,
      squarePath: s.squarePath,
      width: s.width,
      height: s.height,
      uploadedAt: c.uploadedAt ?? null,
      takenAt: c.takenAt ?? null,
      createdAt: this.now().toISOString(),
      format: s.format,
      bytes: s.bytes,
    });
    if (!added) {
      // Another process stored this (source, source id, class) between the check and the insert.
      this.counts.skipped++;
      return;
    }
    this.counts.ingested++;
    if (first) this.counts.otherClassLinks++;
    else if (duplicateOf) this.counts.exactDuplicates++;
  }
}

function toStored(s: Stored | IngestedImage): Stored {
  return {
    sha256: s.sha256,
    originalPath: s.originalPath,
    displayPath: s.displayPath,
    squarePath: s.squarePath,
    width: s.width,
    height: s.height,
    format: s.format ?? 'unknown',
    bytes: s.bytes ?? 0,
  };
}

/** Whether `ingest` already stored this source photo in the workspace (it would skip it). */
export async function isIngested(workspace: Workspace, source: string, sourceId: string): Promise<boolean> {
  return (await createImageCatalog(workspace.sql).ingestedRows(source, sourceId)).length > 0;
}

/** The reason recorded for a candidate whose content could not be stored, or null when `error` is not such a failure (a bug, a full disk: it stops the ingest). */

export function ingestFailureReason(error: unknown): string | null {
  return error instanceof DownloadFailure || isRetestError(error) || isFileError(error) ? (error as Error).message : null;
}

function isFileError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException)?.code === 'string' && typeof (error as NodeJS.ErrnoException)?.syscall === 'string';
}

/** Reads/downloads, hashes, decodes and writes the three files; returns what the row needs. */
export async function storeCandidate(workspace: StoreTarget, c: Candidate, options: IngestOptions): Promise<Stored> {
  let bytes: Buffer;
  let pixels: RgbImage | undefined;
  if (c.pixels) {
    pixels = c.pixels;
    bytes = await encodePng(c.pixels);
  } else if (c.url) {
    bytes = await downloadBytes(c.url, {
      maxBytes: options.maxBytes ?? 25 * 1024 * 1024,
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.downloadRetries ?? 2,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  } else {
    bytes = readFileSync(c.path as string);
    const max = options.maxBytes ?? 25 * 1024 * 1024;
    if (bytes.length > max) throw new DownloadFailure(`too large: ${bytes.length} bytes > limit ${max}`);
  }
  const sha = sha256Hex(bytes);
  const info = pixels ? { width: pixels.width, height: pixels.height, format: 'png' } : await imageInfo(bytes);
  const shard = sha.slice(0, 2);
  const ext = EXTENSIONS[info.format] ?? 'bin';
  const originalPath = posix.join('blobs', 'original', shard, `${sha}.${ext}`);
  const displayPath = posix.join('blobs', 'display', shard, `${sha}.jpg`);
  const squarePath = posix.join('blobs', 'square', shard, `${sha}.png`);
  const abs = (p: string) => join(workspace.dir, p);
  const { displayLongerSide, displayJpegQuality, squareSize } = workspace.config;
  const input = pixels ?? bytes;
  if (!existsSync(abs(displayPath))) {
    const display = await resizeLongerSide(input, displayLongerSide);
    writeFileAtomic(abs(displayPath), await encodeJpeg(display, displayJpegQuality));
  }
  if (!existsSync(abs(squarePath))) {
    const square = await resizeExact(input, squareSize, squareSize);
    writeFileAtomic(abs(squarePath), await encodePng(square));
  }
  // The original last: decoding succeeded, so it is a usable image.
  if (!existsSync(abs(originalPath))) writeFileAtomic(abs(originalPath), bytes);
  return { sha256: sha, originalPath, displayPath, squarePath, width: info.width, height: info.height, format: info.format, bytes: bytes.length };
}
