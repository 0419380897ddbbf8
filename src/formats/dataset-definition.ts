/**
 * The ImageNetV2 authors' dataset definition JSON (`datasets/<name>.json` in their repository):
 * `image_filenames` = `[[image_id, wnid], …]` in dataset order, plus the sampling provenance
 * (function, seed, parameters, parent revision), all kept.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dataError, ioError, type ProblemIssue } from '../core/errors.ts';
import { parseJson } from '../core/parse.ts';
import type { DatasetDefinition } from './types.ts';

const WNID = /^n\d{8}$/;

const definitionSchema = z.looseObject({
  image_filenames: z.array(z.tuple([z.string().min(1), z.string().regex(WNID, 'a wnid such as n01440764')])),
  sampling_function: z.string().optional(),
  seed: z.number().int().optional(),
  starting_from: z.string().optional(),
});

const HINT = "This must be one of the ImageNetV2 authors' datasets/<name>.json files.";

/** Parses the text of a definition file; `file` names it in errors, which carry every problem (`issues`). */
export function parseDatasetDefinition(text: string, file: string): DatasetDefinition {
  const { image_filenames, sampling_function, seed, starting_from, ...parameters } = parseJson(text, definitionSchema, {
    what: 'the dataset definition',
    file,
    expected: 'an object with image_filenames: [image_id, wnid] pairs',
    hint: HINT,
  });
  const seen = new Map<string, number>();
  const repeats: ProblemIssue[] = [];
  image_filenames.forEach(([imageId], i) => {
    const first = seen.get(imageId);
    if (first !== undefined)
      repeats.push({
        path: `image_filenames[${i}][0]`,
        message: `image ${imageId} is listed twice`,
        expected: 'unique image ids',
        received: `also at ${first}`,
      });
    else seen.set(imageId, i);
  });
  if (repeats.length > 0) {
    const r = repeats[0]!;
    const record = Number(/\[(\d+)\]/.exec(r.path)![1]);
    throw dataError(repeats.length > 1 ? `${repeats.length} images are listed twice in the dataset definition: ${r.message}` : r.message, {
      file,
      record,
      field: 'image_filenames',
      expected: 'unique image ids',
      received: r.received!,
      hint: HINT,
      issues: repeats,
    });
  }
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
