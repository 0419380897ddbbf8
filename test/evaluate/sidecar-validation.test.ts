/**
 * Sidecars and flags are validated at load, naming the field: std ≤ 0, unknown keys (with the
 * known names), a 0-channel input shape, a class list that does not fit the model. A sidecar's
 * `classes` map class-folder names to the model's outputs; folders it does not list are an error.
 * An unreadable class folder is an io error naming it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelSpecFrom, readSidecar } from '../../src/evaluate/index.ts';
import { readCifarBin, writeCifarBin } from '../../src/formats/index.ts';
import { encodePng } from '../../src/formats/image-io.ts';
import { catchError } from '../helpers/errors.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';
import { noUnprivilegedReason, unprivilegedPrefix } from '../helpers/unprivileged.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
function retest(args: string[], unprivileged = false) {
  const [command, ...rest] = [...(unprivileged ? (unprivilegedPrefix() ?? []) : []), process.execPath, BIN, ...args];
  const r = spawnSync(command!, rest, { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'retest-sidecar-'));
function sidecar(content: unknown): string {
  const path = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('sidecar fields are refused at load, naming the field', () => {
  it('a std of 0 or below', () => {
    let error = catchError(() => readSidecar(sidecar({ preprocess: { std: [0.2, 0, 0.2] } })));
    expect(error.field).toBe('preprocess.std[1]');
    error = catchError(() => readSidecar(sidecar({ std: [-1, 1, 1] })));
    expect(error.field).toBe('std[0]');
    expect(error.received).toBe('-1');
  });

  it('unknown keys, listing the known names', () => {
    let error = catchError(() => readSidecar(sidecar({ preprocess: { resize_shorter: 256, crop: 224 } })));
    expect(error.message).toBe('a problem in the model sidecar: preprocess.resize_shorter: unknown field');
    expect(error.field).toBe('preprocess.resize_shorter');
    expect(error.expected).toContain('resize_shorter_to');
    expect(error.expected).toContain('interpolation');
    error = catchError(() => readSidecar(sidecar({ preprocess: { interp: 'bicubic' } })));
    expect(error.field).toBe('preprocess.interp');
    expect(error.expected).toMatch(/^the fields of "preprocess": resize_shorter_to, crop, crop_pct, interpolation/);
    error = catchError(() => readSidecar(sidecar({ input: { layuot: 'NCHW' } })));
    expect(error.field).toBe('input.layuot');
    expect(error.expected).toContain('layout');
  });

  it('reports every problem of a sidecar, not only the first, and names the file', () => {
    const path = sidecar({ std: [-1, 1, 0], preprocess: { interp: 'bicubic', crop: 0 }, input: { layout: 'HWC', layuot: 'NCHW' } });
    const error = catchError(() => readSidecar(path));
    expect(error.file).toBe(path);
    expect(error.message).toMatch(/^6 problems in the model sidecar: /);
    expect(error.issues.map((i) => i.path).sort()).toEqual(['input.layout', 'input.layuot', 'preprocess.crop', 'preprocess.interp', 'std[0]', 'std[2]']);
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i]));
    expect(byPath['input.layout']).toMatchObject({ expected: '"NCHW" | "NHWC"', received: '"HWC"' });
    expect(byPath['std[2]']).toMatchObject({ received: '0' });
    expect(byPath['input.layuot']!.expected).toMatch(/^the fields of "input": .*layout/);
    expect(error.render()).toContain(`file:     ${path}`);
  });

  it('a sidecar that is not JSON names the file and keeps the syntax message', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"std": [1, 1');
    const error = catchError(() => readSidecar(path));
    expect([error.file, error.message]).toEqual([path, 'the model sidecar: not valid JSON']);
  });

  it('a 0-channel (or 0-pixel) input shape', () => {
    expect(catchError(() => readSidecar(sidecar({ input: { shape: ['batch', 0, 32, 32] } }))).field).toBe('input.shape[1]');
    expect(catchError(() => readSidecar(sidecar({ input: { shape: [1, 3, 0, 32] } }))).field).toBe('input.shape[2]');
  });

  it('a class list whose length does not fit the model outputs', () => {
    const path = sidecar({ output: { shape: ['batch', 10] }, classes: ['a', 'b', 'c'] });
    const error = catchError(() => modelSpecFrom(join(dir, 'm.onnx'), { sidecar: path }));
    expect([error.file, error.field, error.expected, error.received]).toEqual([path, 'classes', '10 class names (output.shape)', '3']);
  });

  it('--std of 0 through the library and the CLI', () => {
    expect(catchError(() => modelSpecFrom(join(dir, 'm.onnx'), { std: [1, 0, 1] })).field).toBe('--std');
    const r = retest(['eval', '--model', join(dir, 'm.onnx'), '--dataset', 'cifar10-test', '--std', '0,0,0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--std takes three comma-separated positive numbers/);
  });
});

describeWithData("a sidecar's class names map the class folders", () => {
  const resnet20 = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');
  // CIFAR-10's classes under other names: sorted, they no longer follow the model's output order.
  const NAMES = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  const tree = join(dir, 'named-tree');
  const bin = join(dir, 'first300.bin');
  let withClasses: string;
  beforeAll(async () => {
    const all = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    const count = 300;
    writeCifarBin(bin, { count, labels: all.labels.slice(0, count), pixels: all.pixels.slice(0, count * 3072) });
    for (const name of NAMES) mkdirSync(join(tree, name), { recursive: true });
    for (let i = 0; i < count; i++) {
      const png = await encodePng({ data: all.pixels.subarray(i * 3072, (i + 1) * 3072), width: 32, height: 32 });
      writeFileSync(join(tree, NAMES[all.labels[i]!]!, `img_${i}.png`), png);
    }
    const real = JSON.parse(readFileSync(join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.json'), 'utf8')) as Record<string, unknown>;
    withClasses = sidecar({ ...real, classes: NAMES });
  });

  it("scores the folders in the model's class order (the same count as the .bin)", () => {
    const fromBin = JSON.parse(retest(['eval', '--model', resnet20, '--dataset', bin, '--db', join(dir, 'bin.db'), '--json']).stdout);
    const r = retest([
      'eval',
      '--model',
      resnet20,
      '--sidecar',
      withClasses,
      '--dataset',
      tree,
      '--db',
      join(dir, 'tree.db'),
      '--size',
      '32',
      '--resize',
      '32',
      '--json',
    ]);
    expect(r.stderr).not.toMatch(/bug/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.n).toBe(300);
    expect(summary.top1.correct).toBe(fromBin.top1.correct);
    expect(summary.top1.correct).toBeGreaterThan(250);
  }, 60_000);

  it('a folder the list does not name is an error naming the folder and the sidecar', () => {
    const odd = join(dir, 'odd-tree');
    mkdirSync(join(odd, 'lorry'), { recursive: true });
    mkdirSync(join(odd, 'car'), { recursive: true });
    writeFileSync(join(odd, 'lorry', 'x.png'), readFileSync(join(tree, 'truck', 'img_14.png')));
    writeFileSync(join(odd, 'car', 'y.png'), readFileSync(join(tree, 'truck', 'img_14.png')));
    const r = retest(['eval', '--model', resnet20, '--sidecar', withClasses, '--dataset', odd, '--db', join(dir, 'odd.db'), '--size', '32', '--resize', '32']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/class folder "lorry" of test set "odd-tree" not in the model's class list/);
    expect(r.stderr).toContain(`file:     ${withClasses}`);
  });

  describe.skipIf(noUnprivilegedReason() !== null)('an unreadable class folder', () => {
    it('is an io error naming the folder', () => {
      const locked = join(mkdtempSync(join(tmpdir(), 'retest-locked-')), 'tree');
      chmodSync(join(locked, '..'), 0o755);
      for (const name of ['0', '1']) mkdirSync(join(locked, name), { recursive: true });
      writeFileSync(join(locked, '0', 'a.png'), readFileSync(join(tree, 'cat', 'img_0.png')));
      chmodSync(join(locked, '1'), 0o000);
      try {
        const r = retest(['eval', '--model', resnet20, '--dataset', locked, '--db', join(locked, '..', 'r.db'), '--size', '32', '--resize', '32'], true);
        expect(r.stderr).not.toMatch(/bug/);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/cannot list the class folder 1: permission denied/);
        expect(r.stderr).toContain(`file:     ${join(locked, '1')}`);
      } finally {
        chmodSync(join(locked, '1'), 0o755);
      }
    });
  });
});
