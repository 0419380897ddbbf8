/**
 * Where the real data and models live (../shared beside the checkout, or $RETEST_SHARED).
 * Tests on real data use `describeWithData` and skip with a printed reason when it is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(process.env.RETEST_SHARED ?? join(REPO_ROOT, '..', 'shared'));
export const SHARED_DATA = join(SHARED, 'data');
export const SHARED_MODELS = join(SHARED, 'models');
export const HAS_SHARED = existsSync(join(SHARED_DATA, 'DATA.md')) && existsSync(SHARED_MODELS);

/** `describe` that skips, printing why, when ../shared is not there. */
export function describeWithData(name: string, fn: () => void): void {
  if (!HAS_SHARED) {
    console.warn(`[skip] ${name}: real data not found at ${SHARED} (set RETEST_SHARED)`);
    // Not `describe.skip(name, fn)`: vitest still runs `fn` to collect its tests, and bodies that
    // read the real data at collection time would fail.
    describe.skip(name, () => {
      it(`needs the real data in ${SHARED}`, () => {});
    });
    return;
  }
  describe(name, fn);
}

/** Which of `paths` (relative to SHARED) are missing. */
export function missingShared(...paths: string[]): string[] {
  return paths.filter((p) => !existsSync(join(SHARED, p)));
}
