import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Progress } from '../../src/core/progress.ts';
import {
  datasetContentHash,
  fetchDataset,
  FileHashCache,
  loadNamed,
  locateDataset,
  readMarker,
  readRecordedChecksums,
  resolveDataset,
  type DatasetSpec,
} from '../../src/datasets/index.ts';
import { encodeCifarBin, encodeNpy, npyArray, readNpy, writeCifarBin } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { rejection } from '../helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-fetch-'));

/** A local file server: Range requests, optional cut connections, request log. Nothing leaves 127.0.0.1. */
const files = new Map<string, Buffer>();
const requests: { path: string; range: string | undefined }[] = [];
const behaviour = { cutAfter: new Map<string, number>(), ignoreRange: false };
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path, range: req.headers.range });
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    const cut = behaviour.cutAfter.get(path);
    if (cut !== undefined) {
      behaviour.cutAfter.delete(path);
      res.writeHead(200, { 'content-length': body.length });
      // Exactly `cut` bytes, then the connection is closed (FIN after the data, not a reset): the
      // client receives every byte sent, so the partial file holds exactly `cut` bytes.
      res.write(body.subarray(0, cut), () => res.socket?.end());
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !behaviour.ignoreRange) {
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function recorder(): Progress & { starts: [number, number, string][]; ticked: number } {
  const r = {
    starts: [] as [number, number, string][],
    ticked: 0,
    start(total: number, done = 0, label = '') {
      r.starts.push([total, done, label]);
    },
    tick(units = 1) {
      r.ticked += units;
    },
    stop() {},
  };
  return r;
}

/** Every file under `root`, relative. */
function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(root, p)).isFile());
}

/** A small CIFAR-10.1-like pair served by the local server, under a spec of our own. */
function toyPair(name: string, count: number, options: { checksum: boolean; seed: number }): { spec: DatasetSpec; data: Buffer; labels: Buffer } {
  const pixels = Uint8Array.from({ length: count * 3072 }, (_, i) => (i * options.seed) % 251);
  const data = Buffer.from(encodeNpy(npyArray('|u1', [count, 32, 32, 3], pixels)));
  const labels = Buffer.from(
    encodeNpy(
      npyArray(
        '<i4',
        [count],
        Int32Array.from({ length: count }, (_, i) => i % 10),
      ),
    ),
  );
  files.set(`/${name}/toy_data.npy`, data);
  files.set(`/${name}/toy_labels.npy`, labels);
  const spec: DatasetSpec = {
    name,
    title: 'toy',
    layout: 'cifar101',
    classes: 'cifar10',
    count,
    locations: ['toy'],
    downloads: [
      {
        url: `${base}/${name}/toy_data.npy`,
        fileName: 'toy_data.npy',
        ...(options.checksum ? { sha256: sha256(data) } : {}),
        checksumSource: 'test',
        unpack: false,
      },
      {
        url: `${base}/${name}/toy_labels.npy`,
        fileName: 'toy_labels.npy',
        ...(options.checksum ? { sha256: sha256(labels), bytes: labels.length } : {}),
        checksumSource: 'test',
        unpack: false,
      },
    ],
    homepage: 'http://127.0.0.1',
    license: 'test',
  };
  return { spec, data, labels };
}

describe('fetchDataset against a local server', () => {
  it('downloads with progress, verifies sha256, writes a marker; the dataset then resolves', async () => {
    const cacheDir = join(dir, 'c1');
    const { spec, data } = toyPair('toy-a', 50, { checksum: true, seed: 3 });
    const progress = recorder();
    const result = await fetchDataset(spec, { cacheDir, progress });
    expect(result.alreadyPresent).toBe(false);
    expect(result.path).toBe(join(cacheDir, 'toy-a', 'toy'));
    expect(result.files.map((f) => f.verifiedBy)).toEqual(['sha256', 'sha256']);
    expect(result.files[0]).toMatchObject({ bytes: data.length, sha256: sha256(data), resumedFrom: 0, unpacked: false });
    expect(progress.starts[0]).toEqual([data.length, 0, 'toy_data.npy']);
    expect(progress.ticked).toBe(data.length + 128 + 4 * 50);
    expect(listFiles(join(cacheDir, 'toy-a')).sort()).toEqual(['.retest-dataset.json', 'toy_data.npy', 'toy_labels.npy']);
    expect(readMarker(cacheDir, 'toy-a')!.files.map((f) => f.fileName)).toEqual(['toy_data.npy', 'toy_labels.npy']);
    const location = locateDataset(spec, { cacheDir });
    expect(location).toMatchObject({ present: true, where: 'cache' });
    const dataset = loadNamed(spec, (location as { path: string }).path);
    expect(dataset.images.length).toBe(50);
    expect(dataset.images[13]).toEqual({ imageId: '13', label: 3 });
    // The marker records the content just verified, for `retest datasets` to check copies against.
    expect(readMarker(cacheDir, 'toy-a')!.content).toBe(await datasetContentHash(dataset, new FileHashCache(null)));

    const before = requests.length;
    const again = await fetchDataset(spec, { cacheDir });
    expect(again).toMatchObject({ alreadyPresent: true, files: [] });
    expect(requests.length).toBe(before);
    expect((await fetchDataset(spec, { cacheDir, force: true })).files.length).toBe(2);
  });

  it('a checksum mismatch is an error and leaves no corrupt file in the cache', async () => {
    const cacheDir = join(dir, 'c2');
    const { spec } = toyPair('toy-b', 5, { checksum: true, seed: 5 });
    spec.downloads[0] = { ...spec.downloads[0]!, sha256: '0'.repeat(64) };
    const error = await rejection(fetchDataset(spec, { cacheDir }));
    expect(error.kind).toBe('data');
    expect(error.field).toBe('sha256');
    expect(error.expected).toBe('0'.repeat(64));
    expect(error.message).toMatch(/toy_data\.npy failed verification/);
    expect(listFiles(join(cacheDir, 'toy-b'))).toEqual([]);
    expect(locateDataset(spec, { cacheDir }).present).toBe(false);
  });

  it('a wrong md5 or size fails the same way', async () => {
    const cacheDir = join(dir, 'c2b');
    const { spec } = toyPair('toy-b2', 5, { checksum: false, seed: 6 });
    const plain = spec.downloads[0]!;
    spec.downloads[0] = { ...plain, md5: 'f'.repeat(32) };
    expect((await rejection(fetchDataset(spec, { cacheDir }))).field).toBe('md5');
    spec.downloads[0] = { ...plain, bytes: 12 };
    expect((await rejection(fetchDataset(spec, { cacheDir }))).field).toBe('size');
    expect(listFiles(join(cacheDir, 'toy-b2'))).toEqual([]);
  });

  it('without a published checksum, records the first sha256 and verifies later downloads against it', async () => {
    const cacheDir = join(dir, 'c3');
    const { spec, data } = toyPair('toy-c', 5, { checksum: false, seed: 7 });
    const first = await fetchDataset(spec, { cacheDir });
    expect(first.files.map((f) => f.verifiedBy)).toEqual(['first-download', 'first-download']);
    expect(readRecordedChecksums(cacheDir)[spec.downloads[0]!.url]!.sha256).toBe(sha256(data));
    const second = await fetchDataset(spec, { cacheDir, force: true });
    expect(second.files.map((f) => f.verifiedBy)).toEqual(['recorded-sha256', 'recorded-sha256']);
    // Upstream changes the file: the next download no longer matches.
    const changed = Buffer.from(data);
    changed[changed.length - 1]! ^= 0xff;
    files.set('/toy-c/toy_data.npy', changed);
    const error = await rejection(fetchDataset(spec, { cacheDir, force: true }));
    expect(error.expected).toMatch(new RegExp(`^${sha256(data)} \\(recorded at the first download`));
    expect(existsSync(join(cacheDir, 'toy-c', '.downloads', 'toy_data.npy.part'))).toBe(false);
  });

  it('resumes an interrupted download with an HTTP Range request', async () => {
    const cacheDir = join(dir, 'c4');
    const { spec, data } = toyPair('toy-d', 200, { checksum: true, seed: 11 });
    behaviour.cutAfter.set('/toy-d/toy_data.npy', 300_000);
    // No retries: the run fails, keeping what it received, and the next run resumes.
    const error = await rejection(fetchDataset(spec, { cacheDir, retries: 0 }));
    expect(error.kind).toBe('io');
    expect(error.message).toMatch(/connection closed after 300000 of \d+ bytes|terminated|closed/);
    expect(error.hint).toMatch(/the 300000 bytes already in .* are kept and the download resumes/);
    const part = join(cacheDir, 'toy-d', '.downloads', 'toy_data.npy.part');
    const have = statSync(part).size;
    expect(have).toBe(300_000);
    expect(Buffer.compare(readFileSync(part), data.subarray(0, have))).toBe(0);
    const progress = recorder();
    const result = await fetchDataset(spec, { cacheDir, progress });
    expect(requests.filter((r) => r.path === '/toy-d/toy_data.npy').map((r) => r.range)).toEqual([undefined, `bytes=${have}-`]);
    expect(result.files[0]).toMatchObject({ resumedFrom: have, bytes: data.length, verifiedBy: 'sha256' });
    expect(progress.starts[0]).toEqual([data.length, have, 'toy_data.npy']);
    expect(progress.ticked).toBe(data.length - have + 128 + 800);
    expect(Buffer.compare(readFileSync(join(cacheDir, 'toy-d', 'toy_data.npy')), data)).toBe(0);
  });

  it('resumes a connection cut mid-file within the same run (a retry with Range)', async () => {
    const cacheDir = join(dir, 'c4b');
    const { spec, data } = toyPair('toy-d2', 200, { checksum: true, seed: 12 });
    behaviour.cutAfter.set('/toy-d2/toy_data.npy', 250_000);
    const progress = recorder();
    const result = await fetchDataset(spec, { cacheDir, progress, retryBackoffMs: 1 });
    expect(requests.filter((r) => r.path === '/toy-d2/toy_data.npy').map((r) => r.range)).toEqual([undefined, 'bytes=250000-']);
    // Nothing was on disk when the run started; the second attempt kept the first one's 250,000 bytes.
    expect(result.files[0]).toMatchObject({ resumedFrom: 0, bytes: data.length, verifiedBy: 'sha256' });
    expect(progress.starts.filter((s) => s[2] === 'toy_data.npy')).toEqual([
      [data.length, 0, 'toy_data.npy'],
      [data.length, 250_000, 'toy_data.npy'],
    ]);
    expect(Buffer.compare(readFileSync(join(cacheDir, 'toy-d2', 'toy_data.npy')), data)).toBe(0);
  });

  it('starts over when the server ignores the Range request', async () => {
    const cacheDir = join(dir, 'c5');
    const { spec, data } = toyPair('toy-e', 100, { checksum: true, seed: 13 });
    behaviour.cutAfter.set('/toy-e/toy_data.npy', 100_000);
    await rejection(fetchDataset(spec, { cacheDir, retries: 0 }));
    behaviour.ignoreRange = true;
    try {
      const result = await fetchDataset(spec, { cacheDir });
      expect(result.files[0]).toMatchObject({ resumedFrom: 0, bytes: data.length, verifiedBy: 'sha256' });
    } finally {
      behaviour.ignoreRange = false;
    }
  });

  it('unpacks a verified .tar.gz into the cache and removes the archive', async () => {
    const cacheDir = join(dir, 'c6');
    const source = join(dir, 'tar-source');
    mkdirSync(join(source, 'cifar-10-batches-bin'), { recursive: true });
    const records = { count: 6, labels: Uint8Array.from([0, 1, 2, 3, 4, 5]), pixels: new Uint8Array(6 * 3072).fill(9) };
    writeCifarBin(join(source, 'cifar-10-batches-bin', 'test_batch.bin'), records);
    const archive = join(dir, 'toy.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: source }, ['cifar-10-batches-bin']);
    const bytes = readFileSync(archive);
    files.set('/toy.tar.gz', bytes);
    const spec: DatasetSpec = {
      name: 'toy-tar',
      title: 'toy',
      layout: 'cifar-bin',
      classes: 'cifar10',
      count: 6,
      locations: ['cifar-10-batches-bin/test_batch.bin'],
      downloads: [
        { url: `${base}/toy.tar.gz`, fileName: 'toy.tar.gz', md5: createHash('md5').update(bytes).digest('hex'), checksumSource: 'test', unpack: true },
      ],
      homepage: '',
      license: '',
    };
    const progress = recorder();
    const result = await fetchDataset(spec, { cacheDir, progress });
    expect(result.files[0]).toMatchObject({ verifiedBy: 'md5', unpacked: true });
    expect(progress.starts.map((s) => s[2])).toEqual(['toy.tar.gz', 'unpacking toy.tar.gz']);
    expect(listFiles(join(cacheDir, 'toy-tar')).sort()).toEqual(['.retest-dataset.json', join('cifar-10-batches-bin', 'test_batch.bin')]);
    const dataset = loadNamed(spec, result.path);
    expect(dataset.images.map((i) => i.label)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Buffer.compare(readFileSync(result.path), Buffer.from(encodeCifarBin(records)))).toBe(0);
  });

  it('HTTP errors and unreachable servers are I/O errors that say what to do', async () => {
    const cacheDir = join(dir, 'c7');
    const { spec } = toyPair('toy-f', 2, { checksum: true, seed: 1 });
    files.delete('/toy-f/toy_data.npy');
    const missing = await rejection(fetchDataset(spec, { cacheDir }));
    expect(missing.kind).toBe('io');
    expect(missing.received).toBe('HTTP 404');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = await rejection(
      fetchDataset({ ...spec, downloads: [{ ...spec.downloads[1]!, url: `http://127.0.0.1:${port}/x.npy` }] }, { cacheDir, retryBackoffMs: 1 }),
    );
    expect(offline.kind).toBe('io');
    expect(offline.message).toMatch(/ECONNREFUSED/);
    expect(offline.hint).toMatch(/download http:\/\/127\.0\.0\.1:\d+\/x\.npy yourself and put it in .*toy-f/);
  });

  it('refuses ImageNet val and unknown names', async () => {
    expect((await rejection(fetchDataset('imagenet-val', { cacheDir: dir }))).hint).toMatch(/image-net\.org/);
    expect((await rejection(fetchDataset('imagenet-v3', { cacheDir: dir }))).kind).toBe('usage');
  });
});

describeWithData('fetching a registry dataset from a mirror', () => {
  it('cifar10.1-v6: labels checked against the pinned sha256, data recorded; resolveDataset and the CLI find it', async () => {
    const cacheDir = join(dir, 'registry-cache');
    const labels = readFileSync(join(SHARED_DATA, 'cifar10.1/cifar10.1_v6_labels.npy'));
    const data = Buffer.from(encodeNpy(npyArray('|u1', [2000, 32, 32, 3], new Uint8Array(2000 * 3072).fill(77))));
    files.set('/mirror/cifar10.1_v6_labels.npy', labels);
    files.set('/mirror/cifar10.1_v6_data.npy', data);
    const result = await fetchDataset('cifar10.1-v6', { cacheDir, mirror: `${base}/mirror/` });
    expect(result.files.map((f) => [f.fileName, f.verifiedBy])).toEqual([
      ['cifar10.1_v6_data.npy', 'first-download'],
      ['cifar10.1_v6_labels.npy', 'sha256'],
    ]);
    const dataset = await resolveDataset('cifar10.1-v6', { cacheDir });
    expect(dataset.source).toBe(join(cacheDir, 'cifar10.1-v6', 'cifar10.1_v6'));
    expect(dataset.images.map((i) => i.label)).toEqual(Array.from(readNpy(join(SHARED_DATA, 'cifar10.1/cifar10.1_v6_labels.npy')).data as Int32Array));

    const { main } = await import('../../src/app/main.ts');
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['datasets', '--cache', cacheDir, '--json'])).toBe(0);
      expect(await main(['fetch', 'cifar10.1-v6', '--cache', cacheDir, '--json'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out.length).toBe(2);
    const listing = JSON.parse(out[0]!);
    const v6 = listing.datasets.find((d: { name: string }) => d.name === 'cifar10.1-v6');
    expect(v6).toMatchObject({ present: true, where: 'cache', path: join(cacheDir, 'cifar10.1-v6', 'cifar10.1_v6') });
    expect(listing.datasets.find((d: { name: string }) => d.name === 'cifar10-test')).toMatchObject({ present: false, where: null });
    expect(JSON.parse(out[1]!)).toMatchObject({ name: 'cifar10.1-v6', alreadyPresent: true });
  });

  it('a labels file that differs from the pinned checksum is rejected', async () => {
    const cacheDir = join(dir, 'registry-cache-2');
    const labels = Buffer.from(readFileSync(join(SHARED_DATA, 'cifar10.1/cifar10.1_v6_labels.npy')));
    labels[200]! ^= 1;
    files.set('/bad-mirror/cifar10.1_v6_labels.npy', labels);
    files.set('/bad-mirror/cifar10.1_v6_data.npy', Buffer.from(encodeNpy(npyArray('|u1', [2000, 32, 32, 3], new Uint8Array(2000 * 3072)))));
    const error = await rejection(fetchDataset('cifar10.1-v6', { cacheDir, mirror: `${base}/bad-mirror` }));
    expect(error.field).toBe('sha256');
    expect(existsSync(join(cacheDir, 'cifar10.1-v6', 'cifar10.1_v6_labels.npy'))).toBe(false);
    await rejection(resolveDataset('cifar10.1-v6', { cacheDir }));
  });
});
