import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Workspace } from '../../src/workspace/index.ts';
import { createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { addFixtureImages, imagesPerClass } from '../helpers/workspace-images.ts';
import { recordAssignments, type ImportedAssignment, type LabelSources, type LabelStore } from '../../src/label/index.ts';

/** A CIFAR-10 workspace in a temp folder with image rows inserted directly (no blobs). */
export async function workspaceWithImages(images: { candidates: Record<number, number>; references: Record<number, number> }): Promise<Workspace> {
  const ws = await createWorkspace(join(mkdtempSync(join(tmpdir(), 'retest-label-')), 'ws'), { classes: 'cifar10' });
  await addFixtureImages(ws, imagesPerClass(images));
  return ws;
}

/** Answers every task with `workers` imported assignments; worker w selects image i iff w < yes(i). */
export async function answerAll(ws: Workspace, yes: (imageId: string, role: string) => number, workers = 10): Promise<void> {
  const tasks = await ws.sql.all<{ id: string }>('SELECT id FROM tasks ORDER BY seq');
  const records: ImportedAssignment[] = [];
  for (const t of tasks) {
    const its = await ws.sql.all<{ image_id: string; role: string }>('SELECT image_id, role FROM task_items WHERE task_id = ?', [t.id]);
    for (let w = 0; w < workers; w++) {
      records.push({
        taskId: t.id,
        workerHash: `w${w}`.padEnd(64, '0'),
        source: 'import',
        externalId: `${t.id}:${w}`,
        status: 'submitted',
        selectedImageIds: its.filter((i) => w < yes(i.image_id, i.role)).map((i) => i.image_id),
      });
    }
  }
  await recordAssignments(labelOf(ws), records);
}

/** The label store and what task creation reads from the catalog, of an open workspace: `createTasks(...on(ws), options)`. */
export function on(ws: Workspace): [LabelStore, LabelSources] {
  const stores = workspaceStores(ws);
  return [stores.label, stores.labelSources];
}

/** The label store of an open workspace. */
export function labelOf(ws: Workspace): LabelStore {
  return workspaceStores(ws).label;
}
