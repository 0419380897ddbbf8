import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as collect } from '../../src/cli/commands/collect.ts';
import { register as init } from '../../src/cli/commands/init.ts';
import { runCli } from '../workspace/cli-harness.ts';
import { jpeg, tmp } from './fixtures.ts';
import { GOOD_KEY, photosFor, startFakeFlickr, type FakeFlickr } from './fake-flickr.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';

const cli = (args: string[]) => runCli([init, collect], args);

let flickr: FakeFlickr;
beforeAll(async () => {
  flickr = await startFakeFlickr([...photosFor('airplane', 5, '2012-08-01', 10), ...photosFor('cat', 5, '2012-08-01', 20)]);
  for (let i = 0; i < 5; i++) {
    flickr.images.set(`${10 + i}_o.jpg`, await jpeg(64, 48, 10 + i));
    if (i !== 2) flickr.images.set(`${20 + i}_o.jpg`, await jpeg(64, 48, 20 + i)); // 22 is missing: a 404
  }
});
afterAll(() => flickr.close());

async function newWorkspace(): Promise<string> {
  const dir = join(tmp(), 'ws');
  expect((await cli(['init', dir, '--classes', 'cifar10', '--json'])).code).toBe(0);
  return dir;
}

describe('retest collect', () => {
  it('flickr: searches the fake Flickr and prints one JSON summary', async () => {
    const ws = await newWorkspace();
    process.env.FLICKR_API_KEY = GOOD_KEY;
    try {
      const { code, stdout } = await cli([
        'collect',
        'flickr',
        '--workspace',
        ws,
        '--classes',
        'airplane,cat',
        '--per-class',
        '4',
        '--per-page',
        '2',
        '--rate',
        '1000',
        '--base-url',
        flickr.restUrl,
        '--json',
      ]);
      expect(code).toBe(0);
      const out = JSON.parse(stdout);
      expect(out).toMatchObject({
        workspace: ws,
        source: 'flickr',
        role: 'candidate',
        seen: 8,
        ingested: 7,
        failed: 1,
        apiRequests: 4,
        failureReasons: [{ reason: 'HTTP 404 Not Found', count: 1 }],
      });
      expect(flickr.requests.at(-1)).toMatchObject({ min_taken_date: '2012-07-11 00:00:00', max_taken_date: '2013-07-11 23:59:59', per_page: '2' });
      const status = JSON.parse((await cli(['collect', 'status', '--workspace', ws, '--json'])).stdout);
      expect(status).toMatchObject({ images: { candidate: 7, reference: 0 }, openFailures: 1 });
      expect(status.perClass).toEqual([4, 0, 0, 3, 0, 0, 0, 0, 0, 0]);
      const failures = JSON.parse((await cli(['collect', 'failures', '--workspace', ws, '--json'])).stdout).failures;
      expect(failures).toEqual([
        expect.objectContaining({ source: 'flickr', sourceId: '22', classIdx: 3, urlOrPath: `${flickr.imageBase}22_o.jpg`, reason: 'HTTP 404 Not Found' }),
      ]);
    } finally {
      delete process.env.FLICKR_API_KEY;
    }
  });

  it('flickr: a missing or bad key exits 2 with a hint', async () => {
    const ws = await newWorkspace();
    delete process.env.FLICKR_API_KEY;
    const missing = await cli(['collect', 'flickr', '--workspace', ws, '--base-url', flickr.restUrl, '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: 'usage', message: 'no Flickr API key', field: 'FLICKR_API_KEY' });
    process.env.FLICKR_API_KEY = 'bad';
    try {
      const bad = await cli(['collect', 'flickr', '--workspace', ws, '--rate', '1000', '--base-url', flickr.restUrl, '--json']);
      expect(bad.code).toBe(2);
      expect(JSON.parse(bad.stdout).message).toBe('Flickr error 100: Invalid API Key (Key has invalid format)');
    } finally {
      delete process.env.FLICKR_API_KEY;
    }
  });

  it('flickr: rejects a malformed date window', async () => {
    const ws = await newWorkspace();
    const { code, stdout } = await cli(['collect', 'flickr', '--workspace', ws, '--uploaded', '2012-07-11', '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ field: '--uploaded', received: '"2012-07-11"' });
  });

  it('folder: ingests with --class and says when the workspace is missing', async () => {
    const ws = await newWorkspace();
    const photos = tmp();
    mkdirSync(join(photos, 'sub'));
    writeFileSync(join(photos, 'a.jpg'), await jpeg(40, 30, 1));
    writeFileSync(join(photos, 'sub', 'b.jpg'), await jpeg(40, 30, 2));
    const { code, stdout } = await cli(['collect', 'folder', photos, '--class', 'dog', '--workspace', ws, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ source: 'folder', seen: 2, ingested: 2 });
    const human = await cli(['collect', 'folder', photos, '--class', '5', '--workspace', ws]);
    expect(human.stdout).toBe('folder: 2 seen, 0 ingested (0 exact duplicates, 0 linked to another class), 2 already there, 0 failed\n');
    const notWs = await cli(['collect', 'folder', photos, '--class', 'dog', '--workspace', photos, '--json']);
    expect(notWs.code).toBe(2);
    expect(JSON.parse(notWs.stdout)).toMatchObject({ message: 'not a retest workspace' });
    const badClass = await cli(['collect', 'folder', photos, '--class', 'unicorn', '--workspace', ws, '--json']);
    expect(JSON.parse(badClass.stdout)).toMatchObject({ field: '--class', received: '"unicorn"' });
  });
});

describeWithPostgres('retest collect on a PostgreSQL workspace', () => {
  it('ingests, records the failure and resumes as on SQLite', async () => {
    const run = async (workspaceDb?: string) => {
      const dir = join(tmp(), 'ws');
      expect((await cli(['init', dir, '--classes', 'cifar10', ...(workspaceDb ? ['--workspace-db', workspaceDb] : []), '--json'])).code).toBe(0);
      process.env.FLICKR_API_KEY = GOOD_KEY;
      try {
        const args = [
          'collect',
          'flickr',
          '--workspace',
          dir,
          '--classes',
          'airplane,cat',
          '--per-class',
          '4',
          '--per-page',
          '2',
          '--rate',
          '1000',
          '--base-url',
          flickr.restUrl,
          '--json',
        ];
        const first = JSON.parse((await cli(args)).stdout);
        const again = JSON.parse((await cli(args)).stdout);
        const status = JSON.parse((await cli(['collect', 'status', '--workspace', dir, '--json'])).stdout);
        return { first: { ...first, workspace: undefined }, again: { ...again, workspace: undefined }, status: { ...status, workspace: undefined } };
      } finally {
        delete process.env.FLICKR_API_KEY;
      }
    };
    const sqlite = await run();
    const postgres = await run(`${postgresUrl()}?schema=collect_${process.pid}_${Date.now() % 100000}`);
    expect(postgres.first).toMatchObject({ seen: 8, ingested: 7, failed: 1 });
    expect(postgres.again).toMatchObject({ ingested: 0 });
    expect(postgres.status).toMatchObject({ images: { candidate: 7, reference: 0 }, openFailures: 1 });
    expect(postgres).toEqual(sqlite);
  });
});
