/**
 * The ImageNetV2 authors' dataset definition JSON (`datasets/<name>.json` in their repository):
 * `image_filenames` = `[[image_id, wnid], …]` in dataset order, plus the sampling provenance
 * (function, seed, parameters, parent revision), all kept.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dataError, ioError, preview } from '../core/errors.ts';
import type { DatasetDefinition } from './types.ts';

const WNID = /^n\d{8}$/;

const definitionSchema = z.looseObject({
  image_filenames: z.array(z.tuple([z.string().min(1), z.string().regex(WNID, 'a wnid such as n01440764')])),
  sampling_function: z.string().optional(),
  seed: z.number().int().optional(),
  starting_from: z.string().optional(),
});

/** Parses the text of a definition file; `file` names it in errors. */
export function parseDatasetDefinition(text: string, file: string): DatasetDefinition {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw dataError('dataset definition is not valid JSON', { file, cause: error, received: preview(text.slice(0, 60)), hint: (error as Error).message });
  }
  const parsed = definitionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path;
    const record = path[0] === 'image_filenames' && typeof path[1] === 'number' ? path[1] : undefined;
    let received: unknown = json;
    for (const key of path) received = (received as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
    throw dataError(`bad dataset definition: ${issue.message}`, {
      file,
      ...(record === undefined ? {} : { record }),
      field: path.join('.') || '(top level)',
      expected: path[0] === 'image_filenames' ? '[image_id, wnid] pairs' : 'an object with image_filenames',
      received: preview(received),
      hint: 'This must be one of the ImageNetV2 authors\' datasets/<name>.json files.',
    });
  }
  const { image_filenames, sampling_function, seed, starting_from, ...parameters } = parsed.data;
  const seen = new Map<string, number>();
  image_filenames.forEach(([imageId], i) => {
    const first = seen.get(imageId);
    if (first !== undefined) throw dataError(`image ${imageId} is listed twice`, { file, record: i, field: 'image_filenames', expected: 'unique image ids', received: `also at ${first}` });
    seen.set(imageId, i);
  });
  return {
    path: file,
    images: image_filenames.map(([imageId, wnid]) => ({ imageId, wnid })),
    samplingFunction: sampling_function ?? null,
    seed: seed ?? null,
    startingFrom: starting_from ?? null,
    parameters,
  };
}

/** Reads a definition file. */
export function readDatasetDefinition(jsonPath: string): DatasetDefinition {
  let text: string;
  try {
    text = readFileSync(jsonPath, 'utf8');
  } catch (error) {
    throw ioError(`cannot read ${jsonPath}`, { file: jsonPath, cause: error, hint: 'Check the path.' });
  }
  return parseDatasetDefinition(text, jsonPath);
}
