import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { parseFile } from '../core/parse.ts';
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
  return parseFile(path, workspaceConfigSchema, {
    what: 'the workspace config',
    hint: 'fix retest.json by hand or re-create the workspace with retest init',
  }) as WorkspaceConfig;
}

export function writeConfig(path: string, config: WorkspaceConfig): void {
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}
