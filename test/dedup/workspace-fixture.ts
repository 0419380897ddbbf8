/**
 * A small CIFAR-style workspace (32² squares) built in a temp folder from given pixel arrays,
 * with rows inserted the way `retest collect` writes them.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../src/core/index.ts';
import { encodePng } from '../../src/formats/index.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { createWorkspace } from '../../src/app/workspace-stores.ts';
import { addFixtureImages, type FixtureImage as ImageRow } from '../helpers/workspace-images.ts';

export interface FixtureImage {
  id: string;
  role: 'candidate' | 'reference';
  pixels: Uint8Array; // 32×32×3
  createdAt?: string;
  source?: string;
  sourceId?: string;
  exactDuplicateOf?: string | null;
  classIdx?: number;
}

export async function makeWorkspace(images: FixtureImage[]): Promise<Workspace> {
  const dir = join(mkdtempSync(join(tmpdir(), 'retest-dedup-ws-')), 'ws');
  const workspace = await createWorkspace(dir, { classes: 'cifar10' });
  try {
    mkdirSync(join(workspace.blobDir, 'square'), { recursive: true });
    const rows: ImageRow[] = [];
    for (const [i, image] of images.entries()) {
      const png = await encodePng({ data: image.pixels, width: 32, height: 32 });
      const rel = join('blobs', 'square', `${image.id}.png`);
      writeFileSync(join(workspace.dir, rel), png);
      rows.push({
        id: image.id,
        role: image.role,
        classIdx: image.classIdx ?? 0,
        source: image.source ?? 'arrays',
        sourceId: image.sourceId ?? `fixture#${i}`,
        sha256: sha256Hex(png),
        exactDuplicateOf: image.exactDuplicateOf ?? null,
        originalPath: rel,
        displayPath: rel,
        squarePath: rel,
        width: 32,
        height: 32,
        createdAt: image.createdAt ?? `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      });
    }
    await addFixtureImages(workspace, rows);
  } catch (error) {
    await closeWorkspace(workspace);
    throw error;
  }
  return workspace;
}

/** Deterministic noise image. */
export function noiseImage(seed: number): Uint8Array {
  const out = new Uint8Array(32 * 32 * 3);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) & 255;
  }
  return out;
}

/** A copy with every value moved by `delta` (clamped). */
export function nudged(pixels: Uint8Array, delta: number): Uint8Array {
  return pixels.map((v) => Math.max(0, Math.min(255, v + delta)));
}
