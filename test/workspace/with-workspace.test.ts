import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { initWorkspace, withWorkspace } from '../../src/app/workspace-stores.ts';

/** The database port closes a connection through its queue: a synchronous close completes on the next turn. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('withWorkspace', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'retest-with-ws-')), 'ws');
  closeWorkspace(initWorkspace(dir, { classes: 'cifar10' }));

  it('returns the callback value and closes the database', async () => {
    let seen: Workspace | undefined;
    expect(
      withWorkspace(dir, (ws) => {
        seen = ws;
        return ws.classes.length;
      }),
    ).toBe(10);
    await settled();
    expect(seen!.db.open).toBe(false);
  });

  it('closes after a throw and after an async rejection, passing the error on', async () => {
    let seen: Workspace | undefined;
    expect(() =>
      withWorkspace(dir, (ws) => {
        seen = ws;
        throw new Error('boom');
      }),
    ).toThrow('boom');
    await settled();
    expect(seen!.db.open).toBe(false);
    await expect(
      withWorkspace(dir, async (ws) => {
        seen = ws;
        await Promise.resolve();
        expect(ws.db.open).toBe(true);
        throw new Error('later');
      }),
    ).rejects.toThrow('later');
    expect(seen!.db.open).toBe(false);
  });
});
