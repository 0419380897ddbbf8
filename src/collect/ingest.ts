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
 * `ingest_failures` with its URL or path and reason, never silently dropped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { isRetestError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { silentProgress } from '../core/progress.ts';
import { encodeJpeg, encodePng, imageInfo, resizeExact, resizeLongerSide, writeFileAtomic, type RgbImage } from '../formats/index.ts';
import type { Workspace } from '../workspace/index.ts';
import { DownloadFailure, downloadBytes } from '../core/http.ts';
import { candidateId, linkedCandidateId } from './identity.ts';
import type { Candidate, CandidateSource, IngestOptions, IngestSummary, SourceFailure, StoredContent, StoreTarget } from './types.ts';

const EXTENSIONS: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tif', avif: 'avif', heif: 'heic', svg: 'svg' };

interface SourceRow { id: string; class_idx: number; exact_duplicate_of: string | null; sha256: string; original_path: string; display_path: string; square_path: string; width: number; height: number; format: string | null; bytes: number | null }

/** Stored files and facts of one image's content. */
type Stored = StoredContent;

/** Ingests every candidate of `source` into the workspace. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: TODO(issue 13): the ingest loop (claim, download, decode, store, record) to split into steps
export async function ingest(workspace: Workspace, source: CandidateSource, options: IngestOptions = {}): Promise<IngestSummary> {
  const db = workspace.db;
  const role = options.role ?? 'candidate';
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const now = options.now ?? (() => new Date());
  const progress = options.progress ?? silentProgress;
  const summary: IngestSummary = { seen: 0, ingested: 0, skipped: 0, exactDuplicates: 0, otherClassLinks: 0, failed: 0, failureReasons: [] };
  const reasons = new Map<string, number>();

  const bySource = db.prepare('SELECT id, class_idx, exact_duplicate_of, sha256, original_path, display_path, square_path, width, height, format, bytes FROM images WHERE source = ? AND source_id = ? ORDER BY rowid');
  const bySha = db.prepare('SELECT id, exact_duplicate_of FROM images WHERE sha256 = ? ORDER BY rowid LIMIT 1');
  const insertImage = db.prepare(`INSERT INTO images (id, role, class_idx, source, source_id, url, keyword, sha256, exact_duplicate_of,
      original_path, display_path, square_path, width, height, uploaded_at, taken_at, created_at, format, bytes)
    VALUES (@id, @role, @class_idx, @source, @source_id, @url, @keyword, @sha256, @exact_duplicate_of,
      @original_path, @display_path, @square_path, @width, @height, @uploaded_at, @taken_at, @created_at, @format, @bytes)`);
  const insertFailure = db.prepare('INSERT INTO ingest_failures (source, source_id, class_idx, url_or_path, reason, at) VALUES (?, ?, ?, ?, ?, ?)');

  const recordFailure = (f: SourceFailure) => {
    insertFailure.run(f.source, f.sourceId, f.classIdx ?? null, f.urlOrPath, f.reason, now().toISOString());
    summary.failed++;
    const key = f.reason.replace(/\d{5,}/g, 'N').slice(0, 120);
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  };

  /** Writes the row (synchronously: check-and-insert cannot interleave with another worker). */
  const writeRow = (c: Candidate, stored: Stored | SourceRow) => {
    const existing = bySource.all(c.source, c.sourceId) as SourceRow[];
    if (existing.some((r) => r.class_idx === c.classIdx)) {
      summary.skipped++;
      return;
    }
    const first = existing[0];
    const classId = workspace.classes[c.classIdx]?.id ?? String(c.classIdx);
    const id = first ? linkedCandidateId(c.sourceId, c.source, classId) : candidateId(c.sourceId, c.source);
    const s = toStored(stored);
    let duplicateOf: string | null = null;
    if (first) {
      duplicateOf = first.exact_duplicate_of ?? first.id;
    } else {
      const dup = bySha.get(s.sha256) as { id: string; exact_duplicate_of: string | null } | undefined;
      if (dup) duplicateOf = dup.exact_duplicate_of ?? dup.id;
    }
    insertImage.run({
      id,
      role,
      class_idx: c.classIdx,
      source: c.source,
      source_id: c.sourceId,
      url: c.url ?? null,
      keyword: c.keyword ?? null,
      sha256: s.sha256,
      exact_duplicate_of: duplicateOf,
      original_path: s.originalPath,
      display_path: s.displayPath,
      square_path: s.squarePath,
      width: s.width,
      height: s.height,
      uploaded_at: c.uploadedAt ?? null,
      taken_at: c.takenAt ?? null,
      created_at: now().toISOString(),
      format: s.format,
      bytes: s.bytes,
    });
    summary.ingested++;
    if (first) summary.otherClassLinks++;
    else if (duplicateOf) summary.exactDuplicates++;
  };

  /** Does the slow part (download, decode, files) and returns the database write, run later in source order. */
  const handle = async (c: Candidate): Promise<() => void> => {
    summary.seen++;
    const where = c.url ?? c.path ?? `${c.sourceId}`;
    if (!Number.isInteger(c.classIdx) || c.classIdx < 0 || c.classIdx >= workspace.classes.length) {
      return () => recordFailure({ source: c.source, sourceId: c.sourceId, urlOrPath: where, reason: `class index ${c.classIdx} is not a class of the workspace (0…${workspace.classes.length - 1})` });
    }
    // Resume and cross-class links need no download.
    const existing = bySource.all(c.source, c.sourceId) as SourceRow[];
    if (existing.length > 0) return () => writeRow(c, existing[0] as SourceRow);
    let stored: Stored;
    try {
      stored = await (options.storeContent ? options.storeContent(c) : storeCandidate(workspace, c, options));
    } catch (error) {
      const reason = ingestFailureReason(error);
      if (reason === null) throw error;
      return () => recordFailure({ source: c.source, sourceId: c.sourceId, classIdx: c.classIdx, urlOrPath: where, reason });
    }
    return () => writeRow(c, stored);
  };

  progress.start(source.expected ?? 0, 0, role === 'reference' ? 'references' : 'candidates');
  const iterator = source.candidates({ onFailure: recordFailure })[Symbol.asyncIterator]();
  // Pulls are serialised; each candidate gets its position in source order.
  let queue: Promise<unknown> = Promise.resolve();
  let pulled = 0;
  const next = (): Promise<{ item: IteratorResult<Candidate>; seq: number }> => {
    const p = queue.then(() => iterator.next()).then((item) => ({ item, seq: item.done ? -1 : pulled++ }));
    queue = p.catch(() => undefined);
    return p;
  };
  // Writes happen in source order whatever the download order, so "first occurrence wins" and the
  // rows are the same at any concurrency.
  const pending = new Map<number, () => void>();
  let written = 0;
  const flush = () => {
    for (let write = pending.get(written); write; write = pending.get(written)) {
      pending.delete(written);
      write();
      written++;
      progress.tick();
    }
  };
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const { item, seq } = await next();
      if (item.done) return;
      pending.set(seq, await handle(item.value));
      flush();
    }
  };
  try {
    // On an error, let the other workers finish their current image (their rows are written) before failing.
    const settled = await Promise.allSettled(Array.from({ length: concurrency }, () => worker().catch((error: unknown) => { stop = true; throw error; })));
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    progress.stop();
  }
  summary.failureReasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([reason, count]) => ({ reason, count }));
  return summary;
}

function toStored(s: Stored | SourceRow): Stored {
  if ('originalPath' in s) return s;
  return { sha256: s.sha256, originalPath: s.original_path, displayPath: s.display_path, squarePath: s.square_path, width: s.width, height: s.height, format: s.format ?? 'unknown', bytes: s.bytes ?? 0 };
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
