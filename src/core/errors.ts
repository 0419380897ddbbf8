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
}

export class RetestError extends Error {
  readonly kind: RetestErrorKind;
  readonly file: string | undefined;
  readonly record: string | number | undefined;
  readonly field: string | undefined;
  readonly expected: string | undefined;
  readonly received: string | undefined;
  readonly hint: string | undefined;

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
  }

  /** A plain object for `--json` output and HTTP answers. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { error: this.kind, message: this.message };
    for (const key of ['file', 'record', 'field', 'expected', 'received', 'hint'] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
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
    if (this.hint !== undefined) lines.push(`  hint:     ${this.hint}`);
    return lines.join('\n');
  }
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

/** Shortens a received value for an error message. */
export function preview(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
