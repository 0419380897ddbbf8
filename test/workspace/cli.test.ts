import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register } from '../../src/cli/commands/init.ts';
import { runCli } from './cli-harness.ts';

describe('retest init', () => {
  it('creates a workspace and prints one JSON object', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'retest-init-')), 'my-v2');
    const { code, stdout } = await runCli([register], ['init', dir, '--classes', 'imagenet', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      workspace: dir,
      backend: 'sqlite',
      database: join(dir, 'workspace.db'),
      classes: 1000,
      classSource: 'imagenet',
      squareSize: 256,
      displayLongerSide: 500,
    });
    expect(existsSync(join(dir, 'workspace.db'))).toBe(true);
  });

  it("takes the stored copies' sizes", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'retest-init-')), 'c');
    const { stdout } = await runCli([register], ['init', dir, '--classes', 'cifar10', '--square-size', '64', '--display-size', '256', '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ classes: 10, squareSize: 64, displayLongerSide: 256 });
  });

  it('exits 2 when --classes is missing or the folder is already a workspace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-init-'));
    expect((await runCli([register], ['init', dir])).code).toBe(2);
    expect((await runCli([register], ['init', dir, '--classes', 'cifar10'])).code).toBe(0);
    const again = await runCli([register], ['init', dir, '--classes', 'cifar10', '--json']);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: 'usage', message: 'this folder is already a workspace' });
  });
});
