/**
 * How the results store tells test sets, configs and versions apart: pure functions over plain data.
 */
import { sha256Hex } from '../core/index.ts';
import type { ImageLabel } from './types.ts';

/** sha256 over the (image id, label) sequence: two sets with the same fingerprint are the same test set. */
export function datasetFingerprint(images: readonly ImageLabel[]): string {
  return sha256Hex(images.map((image) => `${image.imageId}\t${image.label}`).join('\n'));
}

/** Canonical JSON (sorted keys) so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** sha256 of a run config's canonical JSON: (model, dataset version, config hash) identifies a run. */
export function configHash(config: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(config));
}

/** The name a version keeps once another content became current. */
export function archivedName(name: string, version: number): string {
  return `${name}@v${version}`;
}
