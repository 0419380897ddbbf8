/**
 * The one way a route reads what a client sent (house rule "request bodies and queries are parsed by
 * a schema"): its body and its query string each go through a zod schema by `parseValue`
 * (src/core/parse.ts). A value the schema refuses is a `usage` RetestError carrying every problem
 * (`issues`), which the server's one error mapping (app.ts → http-errors.ts) answers as 400: the
 * JSON error shape with its `issues`, or the HTML message page for a form post. Routes never read
 * `request.body` or `request.query` themselves (test/architecture.test.ts, "request input").
 *
 * Bodies are our own forms and JSON clients, so their schemas are strict (an unknown field is a
 * problem); query strings come from links made elsewhere (MTurk adds its own parameters), so their
 * schemas ignore unknown parameters.
 */
import type { FastifyRequest } from 'fastify';
import { z, type ZodType } from 'zod';
import { isRetestError, parseValue, RetestError } from '../core/index.ts';

/** What is parsed, for the error, and the sentence a person sees for a problem at a given field. */
export interface RequestInput {
  /** What the value is, in words: "the submission", "the MTurk page's query". */
  what: string;
  /**
   * The message when the first problem is at this top-level field (`sel` also for `sel[1]`), kept
   * short and actionable for the message page; other problems get the schema's own message.
   */
  messages?: Record<string, string>;
}

/** The request's body checked against `schema` (no body is `{}`), or a usage RetestError (400). */
export function parseBody<T>(request: FastifyRequest, schema: ZodType<T>, input: RequestInput): T {
  return parseRequestPart(request.body ?? {}, schema, 'the request body', input);
}

/** The request's query string checked against `schema`, or a usage RetestError (400). */
export function parseQuery<T>(request: FastifyRequest, schema: ZodType<T>, input: RequestInput): T {
  return parseRequestPart(request.query ?? {}, schema, 'the query string', input);
}

function parseRequestPart<T>(raw: unknown, schema: ZodType<T>, part: string, input: RequestInput): T {
  try {
    return parseValue(raw, schema, { file: part, what: input.what, kind: 'usage' });
  } catch (error) {
    if (!isRetestError(error)) throw error;
    const root = /^[^.[]*/.exec(error.issues[0]?.path ?? '')?.[0] ?? '';
    const message = input.messages?.[root];
    if (message === undefined) throw error;
    throw new RetestError('usage', message, {
      file: part,
      ...(error.field !== undefined ? { field: error.field } : {}),
      ...(error.expected !== undefined ? { expected: error.expected } : {}),
      ...(error.received !== undefined ? { received: error.received } : {}),
      issues: error.issues,
      cause: error,
    });
  }
}

/** An optional text field or parameter (a repeated one, or a JSON number, is refused). */
export const optionalText = z.string().optional();

/** A text field or parameter that may be absent, read as '' then. */
export const textOrEmpty = z.string().default('');

/** A form's list field: absent → [], one value → [it], repeated → the list; anything but strings is refused. */
export const textList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? [] : typeof value === 'string' ? [value] : value));

/** A whole number in a query string (`?offset=20`), at least `min` and at most `max`, or `fallback` when absent. */
export function wholeNumber(min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback);
}
