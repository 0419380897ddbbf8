import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { dataError } from '../core/errors.ts';
import type { WorkspaceConfig } from './types.ts';

export const CONFIG_FILE = 'retest.json';
export const DB_FILE = 'workspace.db';
export const BLOB_DIR = 'blobs';

export const workspaceConfigSchema = z.object({
  version: z.literal(1),
  classSource: z.string(),
  numClasses: z.number().int().positive(),
  displayLongerSide: z.number().int().positive().default(500),
  displayJpegQuality: z.number().int().min(1).max(100).default(90),
  squareSize: z.number().int().positive().default(256),
  createdAt: z.string(),
  database: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^?]*\?(.*&)?schema=[a-z_][a-z0-9_]*(&.*)?$/, 'a postgres:// URL with ?schema=NAME')
    .optional(),
});

export function readConfig(path: string): WorkspaceConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw dataError('cannot read the workspace config', { file: path, cause, received: (cause as Error).message });
  }
  const parsed = workspaceConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw dataError('the workspace config is malformed', {
      file: path,
      received: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      hint: 'fix retest.json by hand or re-create the workspace with retest init',
    });
  }
  return parsed.data as WorkspaceConfig;
}

export function writeConfig(path: string, config: WorkspaceConfig): void {
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}
