/**
 * Custom classes from a JSON file. Accepted shapes (all parsed with one zod schema):
 * - `["cat", "dog"]` — names only; index = position;
 * - `[{ "id": "cat", "names": ["cat", "house cat"], "definition": "…", "urls": [], "similar": ["dog"] }, …]`;
 * - the output of `retest classes --json` (`{index, wnid, lemmas, gloss, hypernyms, similar}`), so a
 *   built-in list can be edited and fed back;
 * - any of these wrapped as `{ "classes": [...] }`.
 * Indices, when given, must be 0…n−1 in order; ids must be unique; `similar` must name known ids.
 */
import { z } from 'zod';
import { type ProblemIssue, RetestError } from '../core/errors.ts';
import { parseFile, parseValue } from '../core/parse.ts';
import type { ClassDef } from './types.ts';

const objectEntry = z
  .object({
    index: z.number().int().min(0).optional(),
    id: z.string().min(1).optional(),
    wnid: z.string().min(1).optional(),
    names: z.array(z.string().min(1)).min(1).optional(),
    lemmas: z.array(z.string().min(1)).min(1).optional(),
    name: z.string().min(1).optional(),
    definition: z.string().optional(),
    gloss: z.string().optional(),
    urls: z.array(z.string()).optional(),
    hypernyms: z.array(z.string()).optional(),
    hypernymNames: z.array(z.string()).optional(),
    similar: z.array(z.string()).optional(),
  })
  .refine((e) => e.id ?? e.wnid ?? e.name ?? e.names?.[0] ?? e.lemmas?.[0], { message: 'a class needs an id (or wnid, name, names)' });

const entry = z.union([z.string().min(1), objectEntry]);
const list = z.array(entry).min(1);
export const customClassesSchema = z.union([list, z.object({ classes: list })]);

const WHAT = 'the classes file';
const EXPECTED = 'a JSON array of names, or of {id, names, definition?, urls?, similar?} objects (optionally under "classes")';
const HINT = 'see docs/building.md, "Classes"';

/** Parses custom classes from already-read JSON; `file` names the source in errors. Every problem is reported (`issues`). */
export function parseCustomClasses(raw: unknown, file: string): ClassDef[] {
  const parsed = parseValue(raw, customClassesSchema, { what: WHAT, file, expected: EXPECTED, hint: HINT });
  const entries = Array.isArray(parsed) ? parsed : parsed.classes;
  const classes: ClassDef[] = entries.map((e, i) => {
    if (typeof e === 'string') return { index: i, id: e, names: [e], definition: '', urls: [], hypernyms: [], similar: [] };
    const names = e.names ?? e.lemmas ?? [e.name ?? e.id ?? e.wnid ?? ''];
    const id = e.id ?? e.wnid ?? e.name ?? names[0] ?? '';
    return {
      index: i,
      id,
      names,
      definition: e.definition ?? e.gloss ?? '',
      urls: e.urls ?? [],
      hypernyms: e.hypernyms ?? [],
      ...(e.hypernymNames ? { hypernymNames: e.hypernymNames } : {}),
      similar: e.similar ?? [],
    };
  });
  const problems = listProblems(entries, classes);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new RetestError('data', problems.length > 1 ? `${problems.length} problems in ${WHAT}: ${first.message}` : first.message, {
      file,
      record: first.record,
      field: first.field,
      ...(first.issue.expected !== undefined ? { expected: first.issue.expected } : {}),
      ...(first.issue.received !== undefined ? { received: first.issue.received } : {}),
      hint: first.hint ?? HINT,
      issues: problems.map((p) => p.issue),
    });
  }
  return classes;
}

interface ClassProblem {
  message: string;
  record: number;
  field: string;
  hint?: string;
  issue: ProblemIssue;
}

/** Out-of-order indices, duplicate ids and unknown `similar` names, all of them, in file order. */
function listProblems(entries: readonly (string | { index?: number | undefined })[], classes: readonly ClassDef[]): ClassProblem[] {
  const problems: ClassProblem[] = [];
  const add = (message: string, record: number, field: string, issue: Omit<ProblemIssue, 'path' | 'message'>, hint?: string) =>
    problems.push({ message, record, field, ...(hint ? { hint } : {}), issue: { path: `[${record}].${field}`, message, ...issue } });
  entries.forEach((e, i) => {
    if (typeof e !== 'string' && e.index !== undefined && e.index !== i)
      add('class indices must be 0…n−1 in file order', i, 'index', { expected: String(i), received: String(e.index) });
  });
  const ids = new Map<string, number>();
  for (const c of classes) {
    const previous = ids.get(c.id);
    if (previous !== undefined) add('class ids must be unique', c.index, 'id', { received: JSON.stringify(c.id) }, `class ${previous} has the same id`);
    else ids.set(c.id, c.index);
  }
  for (const c of classes) {
    for (const s of c.similar)
      if (!ids.has(s))
        add('a "similar" entry names an unknown class', c.index, 'similar', { expected: 'the id of another class in this file', received: JSON.stringify(s) });
  }
  return problems;
}

/** Reads and validates a custom classes JSON file. */
export function readCustomClasses(path: string): ClassDef[] {
  return parseCustomClasses(parseFile(path, z.unknown(), { what: WHAT }), path);
}
