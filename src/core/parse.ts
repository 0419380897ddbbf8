/**
 * One way to read external data: text or a file → JSON → schema → value, or one `RetestError`
 * that names the file and carries every problem the schema found (`issues`), rendered once by the
 * CLI (`RetestError.render`) and once by the server (`RetestError.toJSON`).
 *
 * Schemas are zod's, but only their `safeParse` is used here, so importing this module does not load
 * zod (`retest --help` stays light).
 */
import type { ZodType } from 'zod';
import { preview, type ProblemIssue, type RetestErrorKind, RetestError } from './errors.ts';
import { parseJsonText, readTextFile } from './files.ts';

/** Where a value came from and what it is, for the error. */
export interface ParseContext {
  /** The file (or URL, or request part) the value was read from. */
  file?: string;
  /** The record within the file (line, index or id). */
  record?: string | number;
  /** What the value is, in words: "the model sidecar", "a labels row". */
  what: string;
  /** What a valid value looks like as a whole, when a sentence says it better than the schema. */
  expected?: string;
  /** How to fix it. */
  hint?: string;
  /** `data` (a bad file; the default), `usage` (a bad request or option) or `io` (a remote service answered something unusable). */
  kind?: RetestErrorKind;
}

/** Checks `raw` against `schema`; on failure throws one RetestError listing all the schema's problems. */
export function parseValue<T>(raw: unknown, schema: ZodType<T>, context: ParseContext): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw schemaError(raw, parsed.error.issues, context);
}

/**
 * Parses JSON text, then checks it (`parseValue`). A syntax error names the line and column
 * (`parseJsonText`) and keeps JSON.parse's message.
 */
export function parseJson<T>(text: string, schema: ZodType<T>, context: ParseContext): T {
  let raw: unknown;
  try {
    raw = parseJsonText(text, context.file ?? context.what);
  } catch (error) {
    if (!(error instanceof RetestError)) throw error;
    throw new RetestError(context.kind ?? 'data', `${context.what}: not valid JSON`, {
      ...(context.file !== undefined ? { file: context.file } : {}),
      ...(error.record !== undefined ? { record: error.record } : {}),
      ...(error.field !== undefined ? { field: error.field } : {}),
      expected: context.expected ?? 'JSON',
      ...(error.received !== undefined ? { received: error.received } : {}),
      hint: context.hint ?? error.hint ?? 'fix the JSON syntax',
      cause: error,
    });
  }
  return parseValue(raw, schema, context);
}

/** Reads a JSON file and checks it. A file that cannot be read is an io error naming it. */
export function parseFile<T>(path: string, schema: ZodType<T>, context: Omit<ParseContext, 'file'>): T {
  return parseJson(readTextFile(path, context.what.replace(/^the /, '')), schema, { ...context, file: path });
}

/** The shape of a zod issue this module reads (zod 4's `$ZodIssue`, structurally). */
interface SchemaIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: unknown;
  values?: readonly unknown[];
  keys?: readonly string[];
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: boolean;
  origin?: string;
  /** invalid_union: each branch's issues, paths relative to the union's. */
  errors?: readonly (readonly SchemaIssue[])[];
}

/** The RetestError for failed schema issues: the first problem in the top-level fields, all in `issues`. */
export function schemaError(raw: unknown, schemaIssues: readonly SchemaIssue[], context: ParseContext): RetestError {
  const issues = schemaIssues.flatMap((issue) => toProblems(raw, issue));
  const first = issues[0];
  const count = issues.length > 1 ? `${issues.length} problems` : 'a problem';
  const firstText = first ? `: ${first.path === '' ? '' : `${first.path}: `}${first.message}` : '';
  return new RetestError(context.kind ?? 'data', `${count} in ${context.what}${firstText}`, {
    ...where(context),
    ...(first && first.path !== '' ? { field: first.path } : {}),
    ...(context.expected ? { expected: context.expected } : first?.expected ? { expected: first.expected } : {}),
    ...(first?.received !== undefined ? { received: first.received } : {}),
    ...(context.hint ? { hint: context.hint } : {}),
    issues,
  });
}

function where(context: ParseContext) {
  return { ...(context.file !== undefined ? { file: context.file } : {}), ...(context.record !== undefined ? { record: context.record } : {}) };
}

/** `classes[3].name` from ['classes', 3, 'name']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

function toProblems(raw: unknown, issue: SchemaIssue): ProblemIssue[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    // One problem per unknown key, each at its own path, so every one is named.
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
  }
  if (issue.code === 'invalid_union' && issue.errors && issue.errors.length > 0) return unionProblems(raw, issue, issue.errors);
  const value = valueAt(raw, issue.path);
  const received = value === undefined ? 'nothing' : preview(value);
  const expected = expectedOf(issue);
  return [{ path, message: issue.message, ...(expected ? { expected } : {}), received }];
}

/**
 * A value no branch of a union accepts: the problems of the branch whose type it has (the fewest
 * problems among those), so `[{"id": 3}]` against `string | {id: string}` names `[0].id`; when its
 * type fits no branch, one problem expecting any of the branches' types.
 */
function unionProblems(raw: unknown, issue: SchemaIssue, branches: readonly (readonly SchemaIssue[])[]): ProblemIssue[] {
  const typeMismatch = (b: readonly SchemaIssue[]) => b.length === 1 && b[0]!.code === 'invalid_type' && b[0]!.path.length === 0;
  const fitting = branches.filter((b) => b.length > 0 && !typeMismatch(b)).sort((a, b) => a.length - b.length);
  const best = fitting[0];
  if (best) return best.flatMap((i) => toProblems(raw, { ...i, path: [...issue.path, ...i.path] }));
  const types = [...new Set(branches.map((b) => b[0]?.expected).filter((e): e is string => typeof e === 'string'))];
  const value = valueAt(raw, issue.path);
  return [
    {
      path: formatPath(issue.path),
      message: types.length > 0 ? `expected ${types.join(' or ')}` : issue.message,
      ...(types.length > 0 ? { expected: types.join(' | ') } : {}),
      received: value === undefined ? 'nothing' : preview(value),
    },
  ];
}

function expectedOf(issue: SchemaIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return typeof issue.expected === 'string' ? issue.expected : undefined;
    case 'invalid_value':
      return issue.values ? issue.values.map((v) => JSON.stringify(v)).join(' | ') : undefined;
    case 'too_small':
      return `${issue.origin ?? 'value'} ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.origin ?? 'value'} ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}
