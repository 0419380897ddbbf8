/**
 * Errors as data. Every problem with user input is a `RetestError` carrying where it was found
 * (file, record, field), what was expected and what was received, plus a hint that says the fix.
 * The CLI boundary (`src/cli/main.ts`) and the server's error hook render them; nothing else
 * formats errors for people.
 */

/** `data`: bad input file or record (exit 1). `usage`: bad command line or option (exit 2). `io`: a resource could not be reached (exit 1). */
export type RetestErrorKind = 'data' | 'usage' | 'io';

export interface RetestErrorDetails {
  /** The file (or URL, or store) the problem was found in. */
  file?: string;
  /** The record within the file: 0-based index, line number ("line 12") or an id. */
  record?: string | number;
  /** The field, column, option or byte offset ("byte 3073") concerned. */
  field?: string;
  /** What a valid value looks like. */
  expected?: string;
  /** What was actually found (shortened by the caller when large). */
  received?: string;
  /** One sentence telling the user how to fix it. */
  hint?: string;
  /** The underlying error, kept for `--verbose` and for tests. */
  cause?: unknown;
  /** Every problem found, when there are several (all of a schema's issues, not only the first). */
  issues?: readonly ProblemIssue[];
}

/** One problem of a value checked against a schema: where, what was wrong, what was expected and found. */
export interface ProblemIssue {
  /** Where in the value: `classes[3].name`; empty for the value itself. */
  path: string;
  /** What is wrong, in words. */
  message: string;
  /** What a valid value looks like there, when the schema says. */
  expected?: string;
  /** What was found there (shortened). */
  received?: string;
}

export class RetestError extends Error {
  readonly kind: RetestErrorKind;
  readonly file: string | undefined;
  readonly record: string | number | undefined;
  readonly field: string | undefined;
  readonly expected: string | undefined;
  readonly received: string | undefined;
  readonly hint: string | undefined;
  /** All problems found (empty when the error is about one thing, described by the fields above). */
  readonly issues: readonly ProblemIssue[];

  constructor(kind: RetestErrorKind, message: string, details: RetestErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RetestError';
    this.kind = kind;
    this.file = details.file;
    this.record = details.record;
    this.field = details.field;
    this.expected = details.expected;
    this.received = details.received;
    this.hint = details.hint;
    this.issues = details.issues ?? [];
  }

  /** A plain object for `--json` output and HTTP answers. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { error: this.kind, message: this.message };
    for (const key of ['file', 'record', 'field', 'expected', 'received', 'hint'] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    if (this.issues.length > 0) out.issues = this.issues;
    return out;
  }

  /** Multi-line text for a terminal. */
  render(): string {
    const lines = [`error: ${this.message}`];
    if (this.file !== undefined) lines.push(`  file:     ${this.file}`);
    if (this.record !== undefined) lines.push(`  record:   ${this.record}`);
    if (this.field !== undefined) lines.push(`  field:    ${this.field}`);
    if (this.expected !== undefined) lines.push(`  expected: ${this.expected}`);
    if (this.received !== undefined) lines.push(`  received: ${this.received}`);
    if (this.issues.length > 1) {
      lines.push(`  problems: ${this.issues.length}`);
      for (const issue of this.issues) lines.push(`    - ${renderIssue(issue)}`);
    }
    if (this.hint !== undefined) lines.push(`  hint:     ${this.hint}`);
    return lines.join('\n');
  }
}

/** `classes[3].name: expected string (received 42)`. */
export function renderIssue(issue: ProblemIssue): string {
  const where = issue.path === '' ? '(the value itself)' : issue.path;
  const found = issue.received === undefined ? '' : ` (received ${issue.received})`;
  return `${where}: ${issue.message}${found}`;
}

/** A data error: the input file or record is not what it should be. */
export function dataError(message: string, details: RetestErrorDetails = {}): RetestError {
  return new RetestError('data', message, details);
}

/** A usage error: a command-line argument or option is wrong. */
export function usageError(message: string, details: RetestErrorDetails = {}): RetestError {
  return new RetestError('usage', message, details);
}

/** An I/O error: a file, URL or service could not be reached. */
export function ioError(message: string, details: RetestErrorDetails = {}): RetestError {
  return new RetestError('io', message, details);
}

export function isRetestError(value: unknown): value is RetestError {
  return value instanceof RetestError;
}

const ERRNO_MEANING: Record<string, { what: string; hint: string }> = {
  EACCES: { what: 'permission denied', hint: 'check the permissions of the file and its folder, or choose another path' },
  EPERM: { what: 'operation not permitted', hint: 'check the permissions of the file and its folder, or choose another path' },
  EROFS: { what: 'the file system is read-only', hint: 'choose a path on a writable disk' },
  ENOSPC: { what: 'no space left on the disk', hint: 'free some space, or choose another disk' },
  EDQUOT: { what: 'disk quota exceeded', hint: 'free some space, or choose another disk' },
  ENOTDIR: { what: 'a part of the path is a file, not a folder', hint: 'check the path' },
  EISDIR: { what: 'this is a folder, not a file', hint: 'give the path of a file' },
  ENOENT: { what: 'no such file or folder', hint: 'check the path' },
  ELOOP: { what: 'too many symbolic links (a link loop?)', hint: 'check the symbolic links on the path' },
  ENAMETOOLONG: { what: 'the path is too long', hint: 'choose a shorter path' },
  EMFILE: { what: 'too many open files', hint: 'raise the open-file limit (ulimit -n) or lower the concurrency' },
  EIO: { what: 'input/output error from the disk', hint: 'check the disk' },
  EBUSY: { what: 'the file is busy', hint: 'stop the other program using it and try again' },
  EEXIST: { what: 'it already exists', hint: 'choose another path' },
};

const SQLITE_MEANING: Record<string, { kind: RetestErrorKind; what: string; hint: string }> = {
  SQLITE_NOTADB: {
    kind: 'data',
    what: 'the file is not a SQLite database',
    hint: 'give the path of a retest store (or of a new file), not another kind of file',
  },
  SQLITE_CORRUPT: {
    kind: 'data',
    what: 'the SQLite database is damaged (truncated or overwritten)',
    hint: 'restore it from a backup, or start a new one with another path',
  },
  SQLITE_READONLY: {
    kind: 'io',
    what: 'the database is read-only',
    hint: 'make the file and its folder writable (SQLite writes a -wal and a -shm file beside it), or copy it somewhere writable',
  },
  SQLITE_CANTOPEN: {
    kind: 'io',
    what: 'the database file cannot be opened',
    hint: 'check that its folder exists and is writable (SQLite writes a -wal and a -shm file beside it)',
  },
  SQLITE_IOERR: { kind: 'io', what: 'a disk error while reading or writing the database', hint: 'check the disk (space, permissions, a removed drive)' },
  SQLITE_FULL: { kind: 'io', what: 'the disk is full', hint: 'free some space' },
  SQLITE_PERM: { kind: 'io', what: 'permission denied', hint: 'check the permissions of the database file and its folder' },
  SQLITE_AUTH: { kind: 'io', what: 'access denied', hint: 'check the permissions of the database file and its folder' },
  SQLITE_BUSY: { kind: 'io', what: 'the database is locked by another process', hint: 'wait for the other retest process to finish, then try again' },
};

/**
 * Turns an operating-system error (Node's errno errors: EACCES, ENOSPC, ENOTDIR, …) or a SQLite
 * error (SQLITE_NOTADB, SQLITE_READONLY, …) into a RetestError naming the file, or returns null for
 * anything else. `file` names the file when the error itself does not (SQLite errors never do).
 * The CLI boundary and the store adapter call this, so such faults are reported as data/io errors
 * with a hint instead of "this is a bug".
 */
export function fromSystemError(error: unknown, file?: string): RetestError | null {
  if (isRetestError(error) || error === null || typeof error !== 'object') return isRetestError(error) ? error : null;
  const e = error as { code?: unknown; path?: unknown; dest?: unknown; syscall?: unknown; name?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code.startsWith('SQLITE_')) {
    const base = code.replace(/^(SQLITE_[A-Z]+?)(_[A-Z_]+)?$/, '$1');
    const meaning = SQLITE_MEANING[code] ?? SQLITE_MEANING[base];
    if (!meaning) return null;
    return new RetestError(meaning.kind, `${meaning.what}${file ? '' : ' (SQLite)'}`, {
      ...(file ? { file } : {}),
      received: `${code}: ${String(e.message ?? '')}`,
      hint: meaning.hint,
      cause: error,
    });
  }
  const meaning = ERRNO_MEANING[code];
  if (!meaning) return null;
  const path = typeof e.path === 'string' ? e.path : file;
  const action = typeof e.syscall === 'string' ? ` (${e.syscall})` : '';
  return ioError(`${meaning.what}${action}`, { ...(path ? { file: path } : {}), received: code, hint: meaning.hint, cause: error });
}

/** Shortens a received value for an error message. */
export function preview(value: unknown, max = 80): string {
  // NaN and ±Infinity are themselves, not JSON's null.
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : String(JSON.stringify(value) ?? value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
