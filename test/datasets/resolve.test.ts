import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATASETS, locateDataset, resolveDataset } from '../../src/datasets/index.ts';
import { writeCifar101, writeCifarBin } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { rejection } from '../helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-resolve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cifar(count: number, label: (i: number) => number) {
  return { count, labels: Uint8Array.from({ length: count }, (_, i) => label(i)), pixels: new Uint8Array(count * 3072).fill(count % 256) };
}

describe('the registry', () => {
  it('has the seven named datasets with official URLs and a checksum or a stated reason', () => {
    expect(DATASETS.map((d) => d.name)).toEqual([
      'cifar10-test',
      'cifar10.1-v4',
      'cifar10.1-v6',
      'imagenet-val',
      'imagenetv2-matched-frequency',
      'imagenetv2-threshold0.7',
      'imagenetv2-top-images',
    ]);
    for (const spec of DATASETS) {
      for (const download of spec.downloads) {
        expect(download.url).toMatch(/^https:\/\//);
        expect(download.checksumSource.length).toBeGreaterThan(10);
      }
      if (spec.downloads.length === 0) expect(spec.manual).toMatch(/image-net\.org/);
    }
    expect(DATASETS[0]!.downloads[0]).toMatchObject({
      url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
      md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    });
    expect(DATASETS.find((d) => d.name === 'cifar10.1-v6')!.downloads.map((d) => d.url)).toEqual([
      'https://github.com/modestyachts/CIFAR-10.1/raw/master/datasets/cifar10.1_v6_data.npy',
      'https://github.com/modestyachts/CIFAR-10.1/raw/master/datasets/cifar10.1_v6_labels.npy',
    ]);
    expect(DATASETS.find((d) => d.name === 'imagenetv2-matched-frequency')!.downloads[0]!.url).toBe(
      'https://huggingface.co/datasets/vaishaal/ImageNetV2/resolve/main/imagenetv2-matched-frequency.tar.gz',
    );
  });
});

describe('paths work wherever names do', () => {
  it('a .bin file', async () => {
    const file = join(dir, 'mine.bin');
    writeCifarBin(
      file,
      cifar(4, (i) => i),
    );
    const dataset = await resolveDataset(file, { cacheDir: join(dir, 'cache') });
    expect(dataset).toMatchObject({ name: 'mine', source: file, numClasses: 10, files: null });
    expect(dataset.images).toEqual([0, 1, 2, 3].map((i) => ({ imageId: String(i), label: i })));
    expect(dataset.pixels!.data.length).toBe(4 * 3072);
    expect(dataset.classNames![3]).toBe('cat');
  });

  it('a cifar-10-batches-bin folder', async () => {
    const batches = join(dir, 'official', 'cifar-10-batches-bin');
    mkdirSync(batches, { recursive: true });
    writeCifarBin(
      join(batches, 'test_batch.bin'),
      cifar(3, () => 7),
    );
    const dataset = await resolveDataset(join(dir, 'official'), { cacheDir: join(dir, 'cache') });
    expect(dataset.images.map((i) => i.label)).toEqual([7, 7, 7]);
  });

  it('an npy pair, by either file or by its folder', async () => {
    const folder = join(dir, 'pair');
    writeCifar101(join(folder, 'new_v1'), { count: 2, pixels: new Uint8Array(2 * 3072), labels: [5, 6] });
    for (const path of [join(folder, 'new_v1_data.npy'), join(folder, 'new_v1_labels.npy'), folder]) {
      const dataset = await resolveDataset(path, { cacheDir: join(dir, 'cache') });
      expect(dataset.name).toBe('new_v1');
      expect(dataset.source).toBe(join(folder, 'new_v1'));
      expect(dataset.images.map((i) => i.label)).toEqual([5, 6]);
    }
  });

  it('a class-index folder tree, also inside one wrapper folder, labelled numerically', async () => {
    const root = join(dir, 'wrapped', 'my-set-format-val');
    for (let c = 0; c < 12; c++) {
      mkdirSync(join(root, String(c)), { recursive: true });
      writeFileSync(join(root, String(c), `img${c}.png`), 'x');
    }
    for (const path of [root, join(dir, 'wrapped')]) {
      const dataset = await resolveDataset(path, { cacheDir: join(dir, 'cache') });
      expect(dataset.name).toBe('my-set-format-val');
      expect(dataset.numClasses).toBe(12);
      expect(dataset.classNames).toBeNull();
      expect(dataset.pixels).toBeNull();
      expect(dataset.images.map((i) => i.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(dataset.files![10]).toBe(join(root, '10', 'img10.png'));
    }
  });

  it('a retest export counts every class of its manifest, also those its sample left empty', async () => {
    const root = join(dir, 'export-subset');
    for (let c = 0; c < 3; c++) {
      mkdirSync(join(root, String(c)), { recursive: true });
      writeFileSync(join(root, String(c), `img${c}.jpeg`), 'x');
    }
    const classes = ['apple', 'bear', 'cat', 'dog', 'eel'].map((name, index) => ({ index, id: name, names: [name] }));
    writeFileSync(join(root, 'manifest.json'), JSON.stringify({ format: 'retest-export/1', layout: 'imagenetv2', classes }));
    const dataset = await resolveDataset(root, { cacheDir: join(dir, 'cache') });
    expect(dataset.numClasses).toBe(5);
    expect(dataset.classNames).toEqual(['apple', 'bear', 'cat', 'dog', 'eel']);
    // Someone else's manifest.json does not change anything.
    writeFileSync(join(root, 'manifest.json'), JSON.stringify({ files: [] }));
    expect((await resolveDataset(root, { cacheDir: join(dir, 'cache') })).numClasses).toBe(3);
  });

  it('a wnid tree uses the ImageNet class list, so a subset keeps the right labels', async () => {
    const root = join(dir, 'val-subset');
    for (const wnid of ['n01440764', 'n15075141']) {
      mkdirSync(join(root, wnid), { recursive: true });
      writeFileSync(join(root, wnid, `${wnid}.JPEG`), 'x');
    }
    const dataset = await resolveDataset(root, { cacheDir: join(dir, 'cache') });
    expect(dataset.numClasses).toBe(1000);
    expect(dataset.images).toEqual([
      { imageId: 'n01440764', label: 0 },
      { imageId: 'n15075141', label: 999 },
    ]);
    expect(dataset.classNames![0]).toBe('tench');
  });

  it('archives and unknown names are usage errors that say what to do', async () => {
    const archive = join(dir, 'x.tar.gz');
    writeFileSync(archive, 'x');
    expect((await rejection(resolveDataset(archive, { cacheDir: dir }))).hint).toMatch(/tar -xzf/);
    const unknown = await rejection(resolveDataset('cifar10-tset', { cacheDir: dir }));
    expect(unknown.kind).toBe('usage');
    expect(unknown.expected).toMatch(/cifar10-test/);
    const missingPath = await rejection(resolveDataset(join(dir, 'nowhere', 'x.bin'), { cacheDir: dir }));
    expect(missingPath.kind).toBe('usage');
    expect(missingPath.message).toBe(`no such file or folder: ${join(dir, 'nowhere', 'x.bin')}`);
    expect(missingPath.file).toBe(join(dir, 'nowhere', 'x.bin'));
  });
});

describe('named datasets', () => {
  it('are found in --data-dir before the cache', async () => {
    const dataDir = join(dir, 'data');
    const cacheDir = join(dir, 'named-cache');
    writeCifar101(join(dataDir, 'cifar10.1', 'cifar10.1_v6'), { count: 2000, pixels: new Uint8Array(2000 * 3072), labels: new Array(2000).fill(1) });
    writeCifar101(join(cacheDir, 'cifar10.1-v6', 'cifar10.1_v6'), { count: 2000, pixels: new Uint8Array(2000 * 3072), labels: new Array(2000).fill(2) });
    const fromData = await resolveDataset('cifar10.1-v6', { dataDir, cacheDir });
    expect(fromData.name).toBe('cifar10.1-v6');
    expect(fromData.source).toBe(join(dataDir, 'cifar10.1', 'cifar10.1_v6'));
    expect(fromData.images[0]).toEqual({ imageId: '0', label: 1 });
    const fromCache = await resolveDataset('cifar10.1-v6', { cacheDir });
    expect(fromCache.images[0]!.label).toBe(2);
    expect(locateDataset(DATASETS.find((d) => d.name === 'cifar10.1-v6')!, { cacheDir })).toMatchObject({ present: true, where: 'cache' });
  });

  it('cifar10-test in the official layout; an incomplete copy is an error', async () => {
    const dataDir = join(dir, 'data10');
    writeCifarBin(
      join(dataDir, 'cifar-10-batches-bin', 'test_batch.bin'),
      cifar(10000, (i) => i % 10),
    );
    const dataset = await resolveDataset('cifar10-test', { dataDir, cacheDir: join(dir, 'none') });
    expect(dataset.images.length).toBe(10000);
    expect(dataset.images[9999]).toEqual({ imageId: '9999', label: 9 });
    const partial = join(dir, 'partial10');
    writeCifarBin(
      join(partial, 'test_batch.bin'),
      cifar(10, () => 0),
    );
    const error = await rejection(resolveDataset('cifar10-test', { dataDir: partial, cacheDir: join(dir, 'none') }));
    expect(error.message).toMatch(/incomplete: 10 images instead of 10000/);
  });

  it('ImageNetV2 in the release layout: 1000 folders 0…999, labels by number', async () => {
    const cacheDir = join(dir, 'v2-cache');
    const root = join(cacheDir, 'imagenetv2-top-images', 'imagenetv2-top-images-format-val');
    for (let c = 0; c < 1000; c++) {
      mkdirSync(join(root, String(c)), { recursive: true });
      for (let k = 0; k < 10; k++) writeFileSync(join(root, String(c), `${c}-${k}.jpeg`), '');
    }
    const dataset = await resolveDataset('imagenetv2-top-images', { cacheDir });
    expect(dataset.numClasses).toBe(1000);
    expect(dataset.images.length).toBe(10000);
    expect(dataset.images.every((image) => image.label === Number(image.imageId.split('-')[0]))).toBe(true);
    expect(dataset.images[100]).toEqual({ imageId: '10-0', label: 10 });
    expect(dataset.classNames![1]).toBe('goldfish');
  });

  it('missing: says what to download and where to put it', async () => {
    const cacheDir = join(dir, 'empty-cache');
    const error = await rejection(resolveDataset('cifar10.1-v4', { cacheDir }));
    expect(error.hint).toContain('retest fetch cifar10.1-v4');
    expect(error.hint).toContain('https://github.com/modestyachts/CIFAR-10.1/raw/master/datasets/cifar10.1_v4_data.npy');
    expect(error.hint).toContain(join(cacheDir, 'cifar10.1-v4'));
    const imagenet = await rejection(resolveDataset('imagenet-val', { cacheDir }));
    expect(imagenet.message).toMatch(/cannot download/);
    expect(imagenet.hint).toMatch(/image-net\.org/);
    expect(imagenet.hint).toContain(join(cacheDir, 'imagenet-val'));
  });
});

describeWithData('real data', () => {
  it('a direct path to test_batch_first1000.bin', async () => {
    const dataset = await resolveDataset(join(SHARED_DATA, 'cifar10/test_batch_first1000.bin'), { cacheDir: join(dir, 'none') });
    expect(dataset.name).toBe('test_batch_first1000');
    expect(dataset.images.length).toBe(1000);
    expect(dataset.images.slice(0, 10).map((i) => i.label)).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
  });

  it('the shared folder is not the official layout: naming cifar10-test fails with the download hint', async () => {
    const error = await rejection(resolveDataset('cifar10-test', { dataDir: join(SHARED_DATA, 'cifar10'), cacheDir: join(dir, 'none') }));
    expect(error.hint).toContain('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
  });
});
