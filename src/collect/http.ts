/**
 * HTTP at the edge of collection: a request-rate limiter, retries with exponential backoff on
 * network errors, 5xx and 429 (honouring Retry-After), and size-limited downloads with a timeout.
 */
import { ioError } from '../core/errors.ts';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spaces request starts at least `1000 / perSecond` ms apart (shared by every caller). */
export class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number, private readonly sleep: Sleep = realSleep, private readonly clock: () => number = Date.now) {
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
    throw new DownloadFailure(`download failed: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`);
  } finally {
    clearTimeout(timer);
  }
}

/** An io RetestError for a failed API call, naming the URL without secrets. */
export function apiError(message: string, url: string, details: { received?: string; hint?: string; cause?: unknown } = {}) {
  return ioError(message, { file: redactUrl(url), ...details });
}

/** Removes api_key and similar secrets from a URL for messages. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:api_key|key|token|secret)=)[^&]*/gi, '$1…');
}
