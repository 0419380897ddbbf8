/**
 * The server's one mapping from errors to HTTP, and its one JSON error shape. A RetestError of kind
 * 'usage' or 'data' is the client's to fix (4xx); 'io' (a store that is busy, read-only, or a
 * database that went away) is the server's (503); a refused claim or submission has its own status
 * (LABEL_STATUS); anything else is a bug (500, logged).
 */
import { isRetestError, type ProblemIssue } from '../core/index.ts';
import { isLabelError } from '../label/index.ts';

/** What a refused claim or submission answers. */
export const LABEL_STATUS: Record<string, number> = {
  'not-found': 404,
  'not-owner': 403,
  expired: 409,
  rejected: 409,
  'worker-rejected': 403,
  'bad-item': 400,
};

/** The JSON body of every error answer. */
export interface ErrorJson {
  /** What kind of failure, from the status: 'usage' (4xx other than below), 'auth' (401/403), 'not-found' (404), 'conflict' (409), 'rate' (429), 'io' (503), 'internal' (other 5xx). */
  error: 'usage' | 'auth' | 'not-found' | 'conflict' | 'rate' | 'io' | 'internal';
  /** The HTTP status, repeated for clients that only see the body. */
  status: number;
  /** For people. */
  message: string;
  /** Every problem of a malformed body or query string (its schema's), when that is what was refused. */
  issues?: ProblemIssue[];
}

/** The HTTP status of an error thrown while answering a request. */
export function httpStatusOf(error: unknown): number {
  if (isLabelError(error)) return LABEL_STATUS[error.reason] ?? 400;
  if (isRetestError(error)) return error.kind === 'io' ? 503 : 400;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

/** The error kind of a status. */
export function errorKind(status: number): ErrorJson['error'] {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate';
  if (status === 503) return 'io';
  return status >= 500 ? 'internal' : 'usage';
}

/** The one JSON error body. */
export function errorJson(status: number, message: string, extra: Pick<ErrorJson, 'issues'> = {}): ErrorJson {
  return { error: errorKind(status), status, message, ...extra };
}

/** The `issues` of an error's JSON answer: a RetestError's problems (a request part its schema refused), else none. */
export function errorIssues(error: unknown): Pick<ErrorJson, 'issues'> {
  return isRetestError(error) && error.issues.length > 0 ? { issues: [...error.issues] } : {};
}
