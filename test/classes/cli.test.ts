import { describe, expect, it } from 'vitest';
import { register } from '../../src/cli/commands/classes.ts';
import { runCli } from '../workspace/cli-harness.ts';

const run = (args: string[]) => runCli([register], args);

describe('retest classes', () => {
  it('prints ImageNet as one JSON array of {index, wnid, lemmas, gloss, hypernyms, similar}', async () => {
    const { code, stdout } = await run(['classes', 'imagenet', '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(1000);
    expect(Object.keys(rows[0] as object)).toEqual(['index', 'wnid', 'lemmas', 'gloss', 'hypernyms', 'similar']);
    expect(rows[1]).toMatchObject({ index: 1, wnid: 'n01443537', lemmas: ['goldfish', 'Carassius auratus'] });
    expect((rows[1]?.similar as string[])[0]).toBe('n01440764');
  });

  it('prints a table for people', async () => {
    const { code, stdout } = await run(['classes', 'cifar10']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^ {3}0 {2}airplane {2}airplane — /);
  });

  it('exits 2 with a hint for an unknown list', async () => {
    const { code, stdout } = await run(['classes', 'nope', '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ error: 'usage', field: '--classes' });
  });
});
