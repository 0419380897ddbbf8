/**
 * `retest eval --timm-config` end to end: a CIFAR-10 model described by a timm pretrained_cfg
 * (32², crop_pct 1, squash, the graph's own normalisation undone by mean 0 / std 1) scores the
 * PNGs of 200 test images exactly as its sidecar does on the .bin of the same images.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { readCifarBin, writeCifarBin } from '../../src/formats/index.ts';
import { encodePng } from '../../src/formats/image-io.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
function retest(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describeWithData('retest eval --timm-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-timm-eval-'));
  const subset = join(dir, 'first200.bin');
  const tree = join(dir, 'first200_png');
  const model = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');
  const config = join(dir, 'config.json');

  beforeAll(async () => {
    const arrays = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    writeCifarBin(subset, { count: 200, labels: arrays.labels.slice(0, 200), pixels: arrays.pixels.slice(0, 200 * 3072) });
    for (let c = 0; c < 10; c++) mkdirSync(join(tree, String(c)), { recursive: true });
    for (let i = 0; i < 200; i++)
      writeFileSync(
        join(tree, String(arrays.labels[i]), `${i}.png`),
        await encodePng({ data: arrays.pixels.subarray(i * 3072, (i + 1) * 3072), width: 32, height: 32 }),
      );
    writeFileSync(
      config,
      JSON.stringify({
        architecture: 'resnet20',
        num_classes: 10,
        pretrained_cfg: {
          input_size: [3, 32, 32],
          crop_pct: 1.0,
          crop_mode: 'squash',
          interpolation: 'bilinear',
          mean: [0, 0, 0],
          std: [1, 1, 1],
          num_classes: 10,
          first_conv: 'conv1',
          classifier: 'linear',
        },
      }),
    );
  });

  it("gives the sidecar's counts, and the squash mode is in the run's preprocessing", () => {
    const db = join(dir, 'r.db');
    const sidecar = retest(['eval', '--model', model, '--dataset', subset, '--db', db, '--json', '--threads', '1']);
    expect(sidecar.code).toBe(0);
    const timm = retest(['eval', '--model', model, '--timm-config', config, '--dataset', tree, '--db', db, '--json', '--threads', '1']);
    expect(timm.stderr).not.toMatch(/bug/);
    expect(timm.code).toBe(0);
    const [a, b] = [JSON.parse(sidecar.stdout), JSON.parse(timm.stdout)];
    expect(b.n).toBe(200);
    expect(b.top1.correct).toBe(a.top1.correct);
    expect(b.top5.correct).toBe(a.top5.correct);
    const runs = JSON.parse(retest(['runs', '--db', db, '--json']).stdout).runs as { dataset: string; preprocessing: Record<string, unknown> }[];
    const run = runs.find((r) => r.dataset === 'first200_png')!;
    expect(run.preprocessing).toMatchObject({
      cropMode: 'squash',
      cropPct: 1,
      resize: null,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      interpolation: 'bilinear',
      size: [32, 32],
    });
  }, 120_000);

  it('a key retest does not know is an error naming it (exit 1)', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ pretrained_cfg: { input_size: [3, 32, 32], crop_mode: 'squash', test_time_pool: true } }));
    const r = retest(['eval', '--model', model, '--timm-config', bad, '--dataset', subset, '--db', join(dir, 'bad.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pretrained_cfg.test_time_pool');
    expect(r.stderr).toContain('bad.json');
  });
});
