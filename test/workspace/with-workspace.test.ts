/**
 * `withWorkspace(option, fn)`: opens the workspace (async, either backend), runs `fn` and closes
 * the workspace again, whether `fn` returns, throws or rejects; the error is passed on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { createWorkspace, withWorkspace } from '../../src/app/workspace-stores.ts';

/** Whether the workspace's database still answers (a closed one rejects every statement). */
const answers = (ws: Workspace) =>
  ws.sql.get<{ one: number }>('SELECT 1 AS one').then(
    (row) => row?.one === 1,
    () => false,
  );

describe('withWorkspace', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'retest-with-ws-')), 'ws');
  beforeAll(async () => {
    await closeWorkspace(await createWorkspace(dir, { classes: 'cifar10' }));
  });

  it('resolves to the callback value (plain or promised) and closes the database', async () => {
    let seen: Workspace | undefined;
    let openInside = false;
    expect(
      await withWorkspace(dir, async (ws) => {
        seen = ws;
        openInside = await answers(ws);
        return ws.classes.length;
      }),
    ).toBe(10);
    expect(openInside).toBe(true);
    expect(await answers(seen!)).toBe(false);
    const plain = await withWorkspace(dir, (ws) => {
      seen = ws;
      return ws.classes.map((c) => c.id).slice(0, 2);
    });
    expect(plain).toEqual(['airplane', 'automobile']);
    expect(await answers(seen!)).toBe(false);
  });

  it('closes after a synchronous throw and after an async rejection, passing the error on', async () => {
    let seen: Workspace | undefined;
    await expect(
      withWorkspace(dir, (ws) => {
        seen = ws;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).toBeDefined();
    expect(await answers(seen!)).toBe(false);
    seen = undefined;
    let openInside = false;
    await expect(
      withWorkspace(dir, async (ws) => {
        seen = ws;
        await Promise.resolve();
        openInside = await answers(ws);
        throw new Error('later');
      }),
    ).rejects.toThrow('later');
    expect(openInside).toBe(true);
    expect(await answers(seen!)).toBe(false);
  });

  it('opens nothing for a folder that is not a workspace: the usage error names it', async () => {
    const none = mkdtempSync(join(tmpdir(), 'retest-with-none-'));
    let called = false;
    await expect(
      withWorkspace(none, () => {
        called = true;
      }),
    ).rejects.toMatchObject({ kind: 'usage', message: 'not a retest workspace', file: none });
    expect(called).toBe(false);
  });
});
