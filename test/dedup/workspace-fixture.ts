/**
 * A small CIFAR-style workspace (32² squares) built in a temp folder from given pixel arrays,
 * with rows inserted the way `retest collect` writes them.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../src/core/index.ts';
import { encodePng } from '../../src/formats/index.ts';
import { type Workspace } from '../../src/workspace/index.ts';
import { initWorkspace } from '../../src/app/workspace-stores.ts';

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
  const workspace = initWorkspace(dir, { classes: 'cifar10' });
  mkdirSync(join(workspace.blobDir, 'square'), { recursive: true });
  const insert = workspace.db.prepare(
    `INSERT INTO images (id, role, class_idx, source, source_id, url, keyword, sha256, exact_duplicate_of, original_path, display_path, square_path, width, height, created_at)
     VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, 32, 32, ?)`,
  );
  for (const [i, image] of images.entries()) {
    const png = await encodePng({ data: image.pixels, width: 32, height: 32 });
    const rel = join('blobs', 'square', `${image.id}.png`);
    writeFileSync(join(workspace.dir, rel), png);
    insert.run(
      image.id,
      image.role,
      image.classIdx ?? 0,
      image.source ?? 'arrays',
      image.sourceId ?? `fixture#${i}`,
      sha256Hex(png),
      image.exactDuplicateOf ?? null,
      rel,
      rel,
      rel,
      image.createdAt ?? `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
    );
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
