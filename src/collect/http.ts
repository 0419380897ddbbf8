/**
 * HTTP errors of collection's API clients. The download stack itself (rate limiter, retries,
 * downloads) is src/core/http.ts.
 */
import { ioError } from '../core/errors.ts';
import { redactUrl } from '../core/redact.ts';

/** An io RetestError for a failed API call, naming the URL without secrets. */
export function apiError(message: string, url: string, details: { received?: string; hint?: string; cause?: unknown } = {}) {
  return ioError(message, { file: redactUrl(url), ...details });
}
