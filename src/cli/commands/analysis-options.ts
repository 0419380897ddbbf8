/**
 * Options shared by `retest analyze` and `retest report` (model selection, metric, bootstrap,
 * selection-frequency files), parsed in one place so both commands read them the same way.
 */
import { usageError } from '../../core/errors.ts';
import { positiveInt } from '../options.ts';

export const resamplesOption = positiveInt('--resamples');

/** `--seed`: an integer, or any string (hashed). */
export function parseSeed(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** `[set=]file` pairs → set → file; a bare file belongs to `defaultSet` (an error when there is none). */
export function parseFrequencies(values: readonly string[] | undefined, defaultSet: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    const set = eq > 0 ? value.slice(0, eq) : defaultSet;
    const file = eq > 0 ? value.slice(eq + 1) : value;
    if (!set || !file) {
      throw usageError('--frequencies needs SET=FILE', {
        field: '--frequencies',
        received: JSON.stringify(value),
        expected: 'e.g. cifar10-test=cifar10h-counts.npy',
      });
    }
    out[set] = file;
  }
  return out;
}

export function parseMetric(value: string): 'top1' | 'top5' {
  const v = value.replace('-', '');
  if (v !== 'top1' && v !== 'top5') throw usageError('--metric must be top1 or top5', { field: '--metric', received: JSON.stringify(value) });
  return v;
}
