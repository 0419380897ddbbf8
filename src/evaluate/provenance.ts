/**
 * What a run records about how it was made, beside its identity: the retest version and the
 * execution provider of every process that wrote its predictions (results-004). The model file's
 * hash, the preprocessing and the test set's content are part of the run's identity already.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/** This retest's version (package.json; the same file from src/ and from dist/). */
export function retestVersion(): string {
  version ??= (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
