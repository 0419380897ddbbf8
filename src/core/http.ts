/**
 * The one HTTP download stack: a request-rate limiter, retries with exponential backoff on network
 * errors, 5xx and 429 (honouring Retry-After), size-limited downloads into memory with a timeout
 * (`downloadBytes`: candidate images), and downloads into a file that resume with HTTP Range
 * requests, within a call and across runs (`downloadToFile`: datasets). Callers (collect's Flickr
 * client and ingest, datasets' fetch) add what is theirs: error wording, checksums, progress.
 */
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from 'node:fs';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spaces request starts at least `1000 / perSecond` ms apart (shared by every caller). */
export class RateLimiter {
  private next = 0;
  constructor(
    private readonly perSecond: number,
    private readonly sleep: Sleep = realSleep,
    private readonly clock: () => number = Date.now,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`rate must be > 0 requests/s, got ${perSecond}`);
  }

  /** Resolves when the caller may start its request. */
  async acquire(): Promise<void> {
    const now = this.clock();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    // Timers may fire early against the wall clock (libuv caches loop time): wait until it is really time.
    for (let t = now; t < at; t = this.clock()) await this.sleep(at - t);
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RetryOptions {
  /** Retries after the first attempt (so attempts = retries + 1). */
  retries: number;
  /** First backoff in ms; doubles each retry (base · 2^attempt). */
  backoffMs: number;
  /** Longest single wait, in ms (also caps Retry-After). */
  maxBackoffMs?: number;
  sleep?: Sleep;
  /** Called before each wait (for logs and tests). */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
  /** Once aborted, nothing is retried (a per-attempt timeout, by contrast, is retried). */
  signal?: AbortSignal;
}

/** Whether a status is worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Calls `attempt` until it returns a response that is not 5xx/429, or throws something other than a
 * network error, or retries run out. Returns the last response (the caller decides what a final
 * 5xx means) or rethrows the last network error.
 */
export async function withRetries(attempt: () => Promise<Response>, options: RetryOptions): Promise<Response> {
  const sleep = options.sleep ?? realSleep;
  const max = options.maxBackoffMs ?? 60_000;
  for (let i = 0; ; i++) {
    let response: Response | undefined;
    let reason: string;
    let retryAfter: number | undefined;
    try {
      response = await attempt();
      if (!isRetryableStatus(response.status) || i >= options.retries) return response;
      reason = `HTTP ${response.status}`;
      retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      await response.body?.cancel();
    } catch (error) {
      if (options.signal?.aborted || (error as Error)?.name === 'AbortError' || i >= options.retries) throw error;
      reason = (error as Error).message;
    }
    const waitMs = Math.min(max, retryAfter ?? options.backoffMs * 2 ** i);
    options.onRetry?.({ attempt: i + 1, waitMs, reason });
    await sleep(waitMs);
  }
}

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  retries: number;
  fetch?: typeof fetch;
  sleep?: Sleep;
}

/** Why a download failed, as recorded in ingest_failures. */
export class DownloadFailure extends Error {}

/** Downloads `url` into memory, refusing bodies over `maxBytes` and giving up after `timeoutMs`. */
export async function downloadBytes(url: string, options: DownloadOptions): Promise<Buffer> {
  if (!/^https?:\/\//i.test(url)) throw new DownloadFailure(`not an http(s) URL`);
  const doFetch = options.fetch ?? fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DownloadFailure(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
  try {
    const response = await withRetries(() => doFetch(url, { signal: controller.signal, redirect: 'follow' }), {
      retries: options.retries,
      signal: controller.signal,
      backoffMs: 500,
      maxBackoffMs: 10_000,
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new DownloadFailure(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel();
      throw new DownloadFailure(`too large: ${declared} bytes > limit ${options.maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > options.maxBytes) {
          controller.abort();
          throw new DownloadFailure(`too large: more than ${options.maxBytes} bytes`);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    if (total === 0) throw new DownloadFailure('empty response');
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof DownloadFailure) throw error;
    const reason = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof DownloadFailure) throw reason;
    throw new DownloadFailure(
      `download failed: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

export interface FileDownloadOptions {
  /** Abort an attempt when no data arrives for this long. */
  idleTimeoutMs: number;
  /** Further attempts after a network error, 5xx/429 or a cut connection (each resumes with Range). */
  retries: number;
  /** First backoff between attempts in ms (doubles each retry). */
  backoffMs?: number;
  /** A partial file longer than this is discarded (it cannot be a prefix). */
  expectedBytes?: number | undefined;
  fetch?: typeof fetch;
  sleep?: Sleep;
  /** Called when an attempt starts writing: `from` bytes are already in the file (0 = from scratch), `total` when known. */
  onStart?: (start: { from: number; total: number | undefined }) => void | Promise<void>;
  /** Every chunk, after it is written to the file. */
  onChunk?: (chunk: Uint8Array) => void;
  /** Before a retry (for logs and tests). */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string; have: number }) => void;
}

export interface FileDownload {
  /** Bytes in the file now (the whole file). */
  bytes: number;
  /** Bytes that were already in the file when the call started (an earlier run's partial download), kept and not downloaded again. */
  resumedFrom: number;
  /** True when the file was already complete (the server answered 416 to the Range request). */
  alreadyComplete: boolean;
}

/** Why a file download failed: the HTTP status when the server refused, else a network reason. */
export class FileDownloadError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly statusText: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Downloads `url` into `path`, appending to what an earlier attempt left there when the server
 * honours `Range` (206 with the matching start), starting over when it does not (200). Every chunk
 * is written before the next is read, so a cut connection leaves exactly the bytes received, and
 * the next attempt (or run) continues from there.
 */
export async function downloadToFile(url: string, path: string, options: FileDownloadOptions): Promise<FileDownload> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? realSleep;
  let resumedFrom: number | undefined;
  for (let attempt = 0; ; attempt++) {
    let have = existsSync(path) ? statSync(path).size : 0;
    if (options.expectedBytes !== undefined && have > options.expectedBytes) {
      rmSync(path, { force: true });
      have = 0;
    }
    resumedFrom ??= have;
    try {
      const outcome = await attemptFileDownload(doFetch, url, path, have, options);
      if (outcome.restarted) resumedFrom = 0;
      return { bytes: outcome.bytes, resumedFrom: Math.min(resumedFrom, outcome.bytes), alreadyComplete: outcome.alreadyComplete };
    } catch (error) {
      const retryable = !(error instanceof FileDownloadError) || error.status === undefined || isRetryableStatus(error.status);
      if (!retryable || attempt >= options.retries) throw error;
      const waitMs = Math.min(60_000, (options.backoffMs ?? 1_000) * 2 ** attempt);
      options.onRetry?.({ attempt: attempt + 1, waitMs, reason: (error as Error).message, have: existsSync(path) ? statSync(path).size : 0 });
      await sleep(waitMs);
    }
  }
}

async function attemptFileDownload(
  doFetch: typeof fetch,
  url: string,
  path: string,
  have: number,
  options: FileDownloadOptions,
): Promise<{ bytes: number; restarted: boolean; alreadyComplete: boolean }> {
  const controller = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Error(`no data for ${options.idleTimeoutMs / 1000} s`)), options.idleTimeoutMs);
  };
  try {
    arm();
    let response: Response;
    try {
      response = await doFetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw new FileDownloadError(networkReason(error, controller), undefined, '', { cause: error });
    }
    if (response.status === 416 && have > 0) {
      // Nothing left to send: the file is already whole (the caller's verification decides).
      await response.body?.cancel();
      return { bytes: have, restarted: false, alreadyComplete: true };
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new FileDownloadError(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, response.status, response.statusText);
    }
    const resumed = response.status === 206 && contentRangeStart(response.headers.get('content-range')) === have;
    const from = resumed ? have : 0;
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    await options.onStart?.({ from, total: Number.isFinite(length) ? from + length : options.expectedBytes });
    const fd = openSync(path, resumed ? 'a' : 'w');
    let bytes = from;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        arm();
        for (let offset = 0; offset < chunk.byteLength; ) offset += writeSync(fd, chunk, offset);
        bytes += chunk.byteLength;
        options.onChunk?.(chunk);
      }
    } catch (error) {
      throw new FileDownloadError(networkReason(error, controller), undefined, '', { cause: error });
    } finally {
      closeSync(fd);
    }
    if (Number.isFinite(length) && bytes !== from + length) {
      throw new FileDownloadError(`connection closed after ${bytes - from} of ${length} bytes`, undefined, '');
    }
    return { bytes, restarted: !resumed && have > 0, alreadyComplete: false };
  } finally {
    clearTimeout(idle);
  }
}

function contentRangeStart(header: string | null): number | undefined {
  const match = header ? /^bytes (\d+)-/.exec(header) : null;
  return match ? Number(match[1]) : undefined;
}

const NETWORK_REASONS: Record<string, string> = {
  ENOTFOUND: 'host not found (are you offline?)',
  EAI_AGAIN: 'name lookup failed (are you offline?)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
};

/** A network failure in words: "connection refused (ECONNREFUSED)", "no data for 60 s". */
export function networkReason(error: unknown, controller?: AbortController): string {
  if (controller?.signal.aborted && controller.signal.reason instanceof Error) return controller.signal.reason.message;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  return code ? `${NETWORK_REASONS[code] ?? 'network error'} (${code})` : (cause?.message ?? (error as Error).message);
}
