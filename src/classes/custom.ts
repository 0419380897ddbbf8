/**
 * Custom classes from a JSON file. Accepted shapes (all parsed with one zod schema):
 * - `["cat", "dog"]` — names only; index = position;
 * - `[{ "id": "cat", "names": ["cat", "house cat"], "definition": "…", "urls": [], "similar": ["dog"] }, …]`;
 * - the output of `retest classes --json` (`{index, wnid, lemmas, gloss, hypernyms, similar}`), so a
 *   built-in list can be edited and fed back;
 * - any of these wrapped as `{ "classes": [...] }`.
 * Indices, when given, must be 0…n−1 in order; ids must be unique; `similar` must name known ids.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dataError } from '../core/errors.ts';
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

/** Parses custom classes from already-read JSON; `file` names the source in errors. */
export function parseCustomClasses(raw: unknown, file: string): ClassDef[] {
  const parsed = customClassesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw dataError('the classes file is not a valid class list', {
      file,
      ...(issue && issue.path.length > 0 ? { record: String(issue.path.join('.')) } : {}),
      expected: 'a JSON array of names, or of {id, names, definition?, urls?, similar?} objects (optionally under "classes")',
      received: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 5).join('; '),
      hint: 'see docs/building.md, "Classes"',
    });
  }
  const entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.classes;
  const classes: ClassDef[] = entries.map((e, i) => {
    if (typeof e === 'string') return { index: i, id: e, names: [e], definition: '', urls: [], hypernyms: [], similar: [] };
    if (e.index !== undefined && e.index !== i) {
      throw dataError('class indices must be 0…n−1 in file order', { file, record: i, field: 'index', expected: String(i), received: String(e.index) });
    }
    const names = e.names ?? e.lemmas ?? [e.name ?? e.id ?? e.wnid ?? ''];
    const id = e.id ?? e.wnid ?? e.name ?? names[0] ?? '';
    return { index: i, id, names, definition: e.definition ?? e.gloss ?? '', urls: e.urls ?? [], hypernyms: e.hypernyms ?? [], ...(e.hypernymNames ? { hypernymNames: e.hypernymNames } : {}), similar: e.similar ?? [] };
  });
  const ids = new Map<string, number>();
  for (const c of classes) {
    const previous = ids.get(c.id);
    if (previous !== undefined) throw dataError('class ids must be unique', { file, record: c.index, field: 'id', received: JSON.stringify(c.id), hint: `class ${previous} has the same id` });
    ids.set(c.id, c.index);
  }
  for (const c of classes) {
    for (const s of c.similar) {
      if (!ids.has(s)) throw dataError('a "similar" entry names an unknown class', { file, record: c.index, field: 'similar', received: JSON.stringify(s), expected: 'the id of another class in this file' });
    }
  }
  return classes;
}

/** Reads and validates a custom classes JSON file. */
export function readCustomClasses(path: string): ClassDef[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw dataError('cannot read the classes file', { file: path, cause, hint: 'give imagenet, cifar10, or the path of a classes JSON file' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw dataError('the classes file is not valid JSON', { file: path, cause, received: (cause as Error).message });
  }
  return parseCustomClasses(raw, path);
}
