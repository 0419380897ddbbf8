import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npyToNumbers, parseDatasetDefinition, readDatasetDefinition, readNpy } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { catchError } from '../helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'retest-definition-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ImageNetV2 dataset definitions', () => {
  it('keeps the images in order and the provenance', () => {
    const text = JSON.stringify({
      sampling_function: 'sample_best',
      seed: 42,
      starting_from: 'x-1.json',
      target_size: 2,
      image_filenames: [
        ['b'.repeat(40), 'n01440764'],
        ['a'.repeat(40), 'n15075141'],
      ],
    });
    const definition = parseDatasetDefinition(text, 'x-2.json');
    expect(definition.images).toEqual([
      { imageId: 'b'.repeat(40), wnid: 'n01440764' },
      { imageId: 'a'.repeat(40), wnid: 'n15075141' },
    ]);
    expect(definition.samplingFunction).toBe('sample_best');
    expect(definition.seed).toBe(42);
    expect(definition.startingFrom).toBe('x-1.json');
    expect(definition.parameters).toEqual({ target_size: 2 });
  });

  it('names the record and field of a bad entry', () => {
    const text = JSON.stringify({
      image_filenames: [
        ['a', 'n01440764'],
        ['b', 'tench'],
      ],
    });
    const error = catchError(() => parseDatasetDefinition(text, 'bad.json'));
    expect(error.file).toBe('bad.json');
    expect(error.field).toBe('image_filenames[1][1]');
    expect(error.received).toBe('"tench"');
  });

  it('reports every bad entry and every repeated id, not only the first, naming the file', () => {
    const text = JSON.stringify({ image_filenames: [['a', 'n01440764'], ['b', 'tench'], [3, 'n01440764'], ['d']], seed: 1.5 });
    const error = catchError(() => parseDatasetDefinition(text, 'bad.json'));
    expect(error.file).toBe('bad.json');
    expect(error.message).toMatch(/^4 problems in the dataset definition: /);
    expect(error.issues.map((i) => [i.path, i.received])).toEqual([
      ['image_filenames[1][1]', '"tench"'],
      ['image_filenames[2][0]', '3'],
      ['image_filenames[3]', '["d"]'],
      ['seed', '1.5'],
    ]);
    const repeated = JSON.stringify({
      image_filenames: [
        ['a', 'n01440764'],
        ['a', 'n01443537'],
        ['b', 'n01443537'],
        ['b', 'n01443537'],
      ],
    });
    const dup = catchError(() => parseDatasetDefinition(repeated, 'dup.json'));
    expect([dup.file, dup.record]).toEqual(['dup.json', 1]);
    expect(dup.issues.map((i) => [i.path, i.received])).toEqual([
      ['image_filenames[1][0]', 'also at 0'],
      ['image_filenames[3][0]', 'also at 2'],
    ]);
  });

  it('refuses non-JSON, a missing list and repeated ids', () => {
    expect(catchError(() => parseDatasetDefinition('{"image_filenames": [', 'cut.json')).message).toMatch(/not valid JSON/);
    expect(catchError(() => parseDatasetDefinition('{"seed": 1}', 'empty.json')).field).toBe('image_filenames');
    const repeated = JSON.stringify({
      image_filenames: [
        ['a', 'n01440764'],
        ['a', 'n01443537'],
      ],
    });
    expect(catchError(() => parseDatasetDefinition(repeated, 'dup.json')).record).toBe(1);
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ image_filenames: [] }));
    expect(readDatasetDefinition(file).images).toEqual([]);
    expect(catchError(() => readDatasetDefinition(join(dir, 'none.json'))).kind).toBe('io');
  });
});

describeWithData("the authors' dataset definitions", () => {
  const datasets = join(SHARED_DATA, 'imagenet/datasets');

  it('reads all four with their sizes and sampling functions', () => {
    const expected: Record<string, [number, string]> = {
      'imagenet-validation-original': [50000, 'sample_val_dummy'],
      'imagenetv2-b-33': [10000, 'sample_wnid_histogram'],
      'imagenetv2-a-44': [10000, 'sample_above_threshold'],
      'imagenetv2-c-12': [10000, 'sample_best'],
    };
    for (const [name, [count, fn]] of Object.entries(expected)) {
      const definition = readDatasetDefinition(join(datasets, `${name}.json`));
      expect(definition.images.length).toBe(count);
      expect(definition.samplingFunction).toBe(fn);
      expect(new Set(definition.images.map((i) => i.wnid)).size).toBe(1000);
    }
    const matched = readDatasetDefinition(join(datasets, 'imagenetv2-b-33.json'));
    expect(matched.images[0]).toEqual({ imageId: '25949dd0704552263197b05a8359771a4192ff45', wnid: 'n01667114' });
    expect(matched.seed).toBe(274721306);
    expect(matched.startingFrom).toBe('imagenetv2-b-32.json');
    expect(matched.parameters.histogram_bins).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it('with the published top-5 files, reproduces resnet50: 76.13 % on val, 63.33 % on MatchedFrequency', () => {
    // Class index = position of the wnid in sorted order.
    const wnids = [...new Set(readDatasetDefinition(join(datasets, 'imagenet-validation-original.json')).images.map((i) => i.wnid))].sort();
    const index = new Map(wnids.map((w, i) => [w, i]));
    for (const [name, correct] of [
      ['imagenet-validation-original', 38065],
      ['imagenetv2-b-33', 6333],
    ] as const) {
      const labels = readDatasetDefinition(join(datasets, `${name}.json`)).images.map((i) => index.get(i.wnid)!);
      const top5 = npyToNumbers(readNpy(join(SHARED_DATA, 'imagenetv2-predictions', name, 'resnet50.npy')));
      let hits = 0;
      labels.forEach((label, i) => {
        if (top5[i * 5] === label) hits++;
      });
      expect(hits).toBe(correct);
    }
  });
});
