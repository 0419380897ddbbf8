/**
 * `retest preprocess` on generated files: shapes, layouts, ids, zero rows for unreadable images,
 * the contact sheet, and usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/formats/index.ts';
import { REPO_ROOT } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');

function retest(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('retest preprocess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-preprocess-'));
  const tree = join(dir, 'tree');
  const sidecar = join(dir, 'model.json');
  // Flat colours: every crop pixel is the image's colour whatever the filter.
  const colours = [
    [200, 10, 30],
    [5, 250, 128],
    [90, 90, 90],
  ];

  beforeAll(async () => {
    for (let c = 0; c < 2; c++) mkdirSync(join(tree, String(c)), { recursive: true });
    for (let i = 0; i < 3; i++) {
      const raw = Buffer.alloc(60 * 40 * 3);
      for (let p = 0; p < 60 * 40; p++) raw.set(colours[i]!, p * 3);
      writeFileSync(
        join(tree, String(i % 2), `img${i}.png`),
        await sharp(raw, { raw: { width: 60, height: 40, channels: 3 } })
          .png()
          .toBuffer(),
      );
    }
    writeFileSync(join(tree, '1', 'broken.png'), 'not a png');
    writeFileSync(
      sidecar,
      JSON.stringify({
        input: { layout: 'NHWC', shape: ['batch', 16, 16, 3] },
        preprocess: { resize_shorter_to: 20, interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
      }),
    );
  });

  it('--format uint8 writes (N, H, W, 3) crops in dataset order, ids relative to the root, zero rows for unreadable images', () => {
    const out = join(dir, 'crops.npy');
    const r = retest([
      'preprocess',
      '--dataset',
      tree,
      '--sidecar',
      sidecar,
      '--format',
      'uint8',
      '--out',
      out,
      '--json',
      '--contact-sheet',
      join(dir, 'sheet.png'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      n: 4,
      out,
      ids: join(dir, 'crops.ids.json'),
      format: 'uint8',
      shape: [4, 16, 16, 3],
      contact_sheet: join(dir, 'sheet.png'),
    });
    const ids = JSON.parse(readFileSync(summary.ids, 'utf8')).ids;
    expect(ids).toEqual(['0/img0.png', '0/img2.png', '1/broken.png', '1/img1.png']);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]).toMatchObject({ row: 2, id: '1/broken.png' });
    const crops = readNpy(out);
    expect(crops.shape).toEqual([4, 16, 16, 3]);
    const row = (i: number) => Array.from((crops.data as Uint8Array).subarray(i * 768, i * 768 + 3));
    expect([row(0), row(1), row(2), row(3)]).toEqual([colours[0], colours[2], [0, 0, 0], colours[1]]);
  });

  it('the contact sheet is a grid of the crops with 2-pixel gutters', async () => {
    const meta = await sharp(join(dir, 'sheet.png')).metadata();
    // 4 crops → 2 × 2 grid of 16-pixel crops: 2·16 + 3·2 = 38.
    expect([meta.width, meta.height]).toEqual([38, 38]);
    const { data } = await sharp(join(dir, 'sheet.png')).raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data.subarray((2 * 38 + 2) * 3, (2 * 38 + 2) * 3 + 3))).toEqual(colours[0]);
  });

  it("--format float32 writes the model input in the sidecar's layout (NHWC), normalised", () => {
    const out = join(dir, 'input.npy');
    const r = retest(['preprocess', '--dataset', tree, '--sidecar', sidecar, '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'float32', shape: [4, 16, 16, 3] });
    const t = readNpy(out).data as Float32Array;
    // (200/255 − 0.5)/0.25 = 1.1373; a zero row stays 0 (as eval feeds it).
    expect(t[0]).toBeCloseTo((200 / 255 - 0.5) / 0.25, 5);
    expect(t[2 * 768]).toBe(0);
  });

  it('flags override the sidecar: --size and --layout NCHW', () => {
    const out = join(dir, 'nchw.npy');
    const r = retest(['preprocess', '--dataset', tree, '--sidecar', sidecar, '--size', '8', '--resize', '8', '--layout', 'NCHW', '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).shape).toEqual([4, 3, 8, 8]);
  });

  it('usage errors: no size known, --out not .npy, box with libvips', () => {
    const noSize = retest(['preprocess', '--dataset', tree, '--out', join(dir, 'x.npy')]);
    expect(noSize.code).toBe(2);
    expect(noSize.stderr).toMatch(/input size is not known/);
    const notNpy = retest(['preprocess', '--dataset', tree, '--size', '8', '--out', join(dir, 'x.bin')]);
    expect(notNpy.code).toBe(2);
    expect(notNpy.stderr).toMatch(/--out must name a .npy file/);
    const box = retest(['preprocess', '--dataset', tree, '--size', '8', '--interpolation', 'box', '--resampler', 'libvips', '--out', join(dir, 'x.npy')]);
    expect(box.code).toBe(2);
    expect(box.stderr).toMatch(/libvips has no box filter/);
  });

  it('--fail-fast stops at the unreadable image with a data error naming it, and writes nothing', () => {
    const out = join(dir, 'ff.npy');
    const r = retest(['preprocess', '--dataset', tree, '--size', '16', '--fail-fast', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(tree, '1', 'broken.png'));
    expect(() => readFileSync(out)).toThrow();
  });
});
