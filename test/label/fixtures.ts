import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Workspace } from '../../src/workspace/index.ts';
import { initWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { recordAssignments, type ImportedAssignment, type LabelSources, type LabelStore } from '../../src/label/index.ts';

/** A CIFAR-10 workspace in a temp folder with image rows inserted directly (no blobs). */
export function workspaceWithImages(images: { candidates: Record<number, number>; references: Record<number, number> }): Workspace {
  const ws = initWorkspace(join(mkdtempSync(join(tmpdir(), 'retest-label-')), 'ws'), { classes: 'cifar10' });
  const insert =
    ws.db.prepare(`INSERT INTO images (id, role, class_idx, source, source_id, sha256, original_path, display_path, square_path, width, height, created_at)
    VALUES (?, ?, ?, 'test', ?, ?, 'o', 'd', 's', 32, 32, '2026-01-01T00:00:00Z')`);
  ws.db.transaction(() => {
    for (const [role, counts] of [
      ['candidate', images.candidates],
      ['reference', images.references],
    ] as const) {
      for (const [c, n] of Object.entries(counts)) {
        for (let i = 0; i < n; i++) {
          const id = `${role[0]}${c}-${String(i).padStart(3, '0')}`;
          insert.run(id, role, Number(c), id, id);
        }
      }
    }
  })();
  return ws;
}

/** Answers every task with `workers` imported assignments; worker w selects image i iff w < yes(i). */
export async function answerAll(ws: Workspace, yes: (imageId: string, role: string) => number, workers = 10): Promise<void> {
  const db = ws.db;
  const tasks = db.prepare('SELECT id FROM tasks ORDER BY seq').all() as { id: string }[];
  const items = db.prepare('SELECT image_id, role FROM task_items WHERE task_id = ?');
  const records: ImportedAssignment[] = [];
  for (const t of tasks) {
    const its = items.all(t.id) as { image_id: string; role: string }[];
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
