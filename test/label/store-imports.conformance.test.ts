/**
 * The LabelStore's task-creation, import and export calls (the block "Task creation, imports and
 * exports" of src/label/types.ts), the same on SQLite and PostgreSQL: tasks appended after the last
 * seq, what earlier tasks planned, imported assignments (idempotent, conflicts, bad items refused
 * with nothing written), the worker salt, HIT ids, adaptive rounds and tallies, the MTurk export's
 * task list and the status summary.
 */
import { expect, it } from 'vitest';
import { adaptiveMigrations, createLabelStore, isLabelError, labelMigrations, type LabelStore, type NewTask } from '../../src/label/index.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const T0 = '2026-01-01T10:00:00.000Z';

/** A task of class `c` showing candidates `cands`, positive p0 and negative n0 (tokens `<id>-<position>`). */
function task(id: string, c: number, cands: string[], wanted = 2, kind: 'main' | 'reference' = 'main'): Omit<NewTask, 'seq'> {
  const images = [
    ...cands.map((imageId) => ({ imageId, role: 'candidate' as const })),
    { imageId: 'p0', role: 'positive' as const },
    { imageId: 'n0', role: 'negative' as const },
  ];
  return {
    id,
    classIdx: c,
    kind,
    assignmentsWanted: wanted,
    batch: 'b1',
    createdAt: T0,
    items: images.map((im, position) => ({ ...im, token: `${id}-${position}` })),
  };
}

async function labelError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return isLabelError(e) ? e.reason : String(e);
  }
  return 'no error';
}

async function withTasks(store: LabelStore): Promise<void> {
  expect(await store.appendTasks([task('ta', 0, ['a1', 'a2']), task('tb', 1, ['b1'], 3)])).toBe(0);
  expect(await store.appendTasks([task('tr', 0, ['a1'], 2, 'reference')])).toBe(2);
}

onBothBackends('LabelStore task creation and imports', [...labelMigrations, ...adaptiveMigrations], (fresh) => {
  it('appends tasks after the last seq and reports what they planned', async () => {
    const store = createLabelStore(await fresh());
    expect(await store.appendTasks([])).toBe(0);
    await withTasks(store);
    expect([...(await store.liveCounts()).keys()]).toEqual(['ta', 'tb', 'tr']);
    const planned = await store.plannedItems();
    expect([...planned.taskedCandidates].sort()).toEqual(['a1', 'a2', 'b1']);
    expect(Object.fromEntries([...planned.plannedReferenceAnswers].map(([c, m]) => [c, Object.fromEntries(m)]))).toEqual({ 0: { p0: 4 }, 1: { p0: 3 } });
    expect((await store.taskItems()).map((i) => `${i.taskId}:${i.imageId}:${i.classIdx}:${i.role}`)).toEqual([
      'ta:a1:0:candidate',
      'ta:a2:0:candidate',
      'ta:p0:0:positive',
      'ta:n0:0:negative',
      'tb:b1:1:candidate',
      'tb:p0:1:positive',
      'tb:n0:1:negative',
      'tr:a1:0:candidate',
      'tr:p0:0:positive',
      'tr:n0:0:negative',
    ]);
    expect(Object.fromEntries(await store.taskTokens(['tb', 'nope']))).toEqual({ tb: ['tb-0', 'tb-1', 'tb-2'] });
  });

  it('records imported assignments once per source id, updates their status, refuses a second assignment of a worker and a bad item', async () => {
    const store = createLabelStore(await fresh());
    await withTasks(store);
    const first = await store.recordAssignments(
      [
        { taskId: 'ta', workerHash: 'w1', source: 'mturk', externalId: 'A1', status: 'submitted', selectedTokens: ['ta-0', 'ta-2'], submittedAt: T0 },
        {
          taskId: 'ta',
          workerHash: 'w2',
          source: 'import',
          externalId: 'x',
          status: 'approved',
          selectedImageIds: ['a2'],
          answeredImageIds: ['a1', 'a2', 'p0'],
        },
        { taskId: 'ta', workerHash: 'w1', source: 'import', externalId: 'dup', status: 'submitted', selectedImageIds: [] },
      ],
      T0,
    );
    expect(first).toEqual({
      inserted: 2,
      statusChanged: 0,
      unchanged: 0,
      answers: 7,
      conflicts: [{ externalId: 'dup', reason: 'the worker already has assignment mturk:A1 on task ta' }],
    });
    const again = await store.recordAssignments([
      { taskId: 'ta', workerHash: 'w1', source: 'mturk', externalId: 'A1', status: 'approved', selectedTokens: [] },
      { taskId: 'ta', workerHash: 'w2', source: 'import', externalId: 'x', status: 'approved', selectedImageIds: [] },
    ]);
    expect(again).toMatchObject({ inserted: 0, statusChanged: 1, unchanged: 1, answers: 0 });
    const freq = await store.frequencies({ minAnswers: 0, classIdx: 0 });
    expect(freq.map((f) => `${f.imageId}:${f.role}:${f.selected}/${f.answers}`)).toEqual(['a1:candidate:1/2', 'a2:candidate:1/2', 'p0:reference:1/2']);
    expect((await store.progress()).assignments).toMatchObject({ approved: 2 });

    expect(
      await labelError(
        store.recordAssignments([
          { taskId: 'tb', workerHash: 'w9', source: 'import', externalId: 'ok', status: 'submitted', selectedImageIds: [] },
          { taskId: 'tb', workerHash: 'w8', source: 'import', externalId: 'bad', status: 'submitted', selectedTokens: ['ta-0'] },
        ]),
      ),
    ).toBe('bad-item');
    expect(
      await labelError(
        store.recordAssignments([{ taskId: 'nope', workerHash: 'w9', source: 'import', externalId: 'n', status: 'submitted', selectedImageIds: [] }]),
      ),
    ).toBe('not-found');
    expect((await store.progress()).answers).toBe(7); // nothing of the refused imports was written
  });

  it('keeps one worker salt, HIT ids (a task keeps its first), and a task summary', async () => {
    const store = createLabelStore(await fresh());
    const salt = await store.workerSalt();
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.workerSalt()).toBe(salt);
    await withTasks(store);
    await store.linkExternalIds([
      { taskId: 'ta', externalId: 'HIT1' },
      { taskId: 'tb', externalId: 'HIT1' },
      { taskId: 'ta', externalId: 'HIT2' },
    ]);
    expect(Object.fromEntries(await store.tasksByExternalId(['HIT1', 'HIT2', '']))).toEqual({ HIT1: 'ta' });
    await store.recordAssignments([
      { taskId: 'ta', workerHash: 'w1', source: 'mturk', externalId: 'A1', status: 'submitted', selectedTokens: [] },
      { taskId: 'ta', workerHash: 'w2', source: 'mturk', externalId: 'A2', status: 'approved', selectedTokens: [] },
      { taskId: 'tb', workerHash: 'w1', source: 'import', externalId: 'B1', status: 'rejected', selectedTokens: [] },
    ]);
    expect(await store.taskSummary()).toEqual({
      tasks: [
        { kind: 'main', n: 2, wanted: 5 },
        { kind: 'reference', n: 1, wanted: 2 },
      ],
      assignments: [
        { status: 'approved', source: 'mturk', n: 1 },
        { status: 'rejected', source: 'import', n: 1 },
        { status: 'submitted', source: 'mturk', n: 1 },
      ],
      complete: 1,
    });
    expect((await store.exportTasks()).map((t) => t.id)).toEqual(['tb', 'tr']);
    const all = await store.exportTasks({ onlyOpen: false, kind: 'main' });
    expect(all.map((t) => [t.id, t.classIdx, t.items.map((i) => `${i.token}=${i.imageId}`).join(' ')])).toEqual([
      ['ta', 0, 'ta-0=a1 ta-1=a2 ta-2=p0 ta-3=n0'],
      ['tb', 1, 'tb-0=b1 tb-1=p0 tb-2=n0'],
    ]);
  });

  it('numbers adaptive rounds, appends their tasks with the round in the batch, and tallies candidates', async () => {
    const store = createLabelStore(await fresh());
    await withTasks(store);
    expect(await store.adaptiveSpent()).toBe(0);
    await store.recordAssignments([
      { taskId: 'ta', workerHash: 'w1', source: 'import', externalId: '1', status: 'submitted', selectedImageIds: ['a1'] },
      { taskId: 'ta', workerHash: 'w2', source: 'import', externalId: '2', status: 'submitted', selectedImageIds: ['a1', 'a2'] },
      { taskId: 'tr', workerHash: 'w1', source: 'import', externalId: '3', status: 'submitted', selectedImageIds: [] },
    ]);
    expect((await store.tallies()).map((t) => `${t.classIdx}:${t.imageId}:${t.selected}/${t.answers}:${t.waiting}`)).toEqual([
      '0:a1:2/3:true',
      '0:a2:1/2:false',
      '1:b1:0/0:true',
    ]);
    const { id: _drop, ...follow } = task('f1', 0, ['a1']);
    const { batch: _b, ...unbatched } = { ...follow, id: 'f1' };
    expect(await store.addAdaptiveRound({ createdAt: T0, budget: 10, scheduled: 4, params: '{}' }, [unbatched], (r) => `adaptive round=${r}`)).toBe(1);
    expect(
      await store.addAdaptiveRound(
        { createdAt: T0, budget: 10, scheduled: 3, params: '{}' },
        [{ ...unbatched, id: 'f2', items: unbatched.items.map((i) => ({ ...i, token: `f2${i.token}` })) }],
        (r) => `adaptive round=${r}`,
      ),
    ).toBe(2);
    expect(await store.adaptiveSpent()).toBe(7);
    expect([...(await store.liveCounts()).keys()]).toEqual(['ta', 'tb', 'tr', 'f1', 'f2']);
    expect((await store.plannedItems()).plannedReferenceAnswers.get(0)?.get('p0')).toBe(8);
  });
});
