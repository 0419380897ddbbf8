import { join } from 'node:path';
import { expect, it } from 'vitest';
import { arrayCandidateSource, ingest } from '../../src/collect/index.ts';
import { decodeRgb, imageInfo, readCifarBin } from '../../src/formats/index.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';
import type { ImageTableRow } from '../helpers/workspace-images.ts';
import { createWorkspace } from '../../src/app/workspace-stores.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { tmp } from './fixtures.ts';

describeWithData('collect arrays: real CIFAR-10 test images', () => {
  it('ingests the first 40 exact test images losslessly with their labels (CIFAR-10.1-style pool)', async () => {
    const file = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
    const cifar = readCifarBin(file);
    const w = await createWorkspace(join(tmp(), 'cifar'), { classes: 'cifar10' });
    try {
      const summary = await ingest(w, arrayCandidateSource({ file, classes: w.classes, limit: 40 }), { role: 'reference', concurrency: 3 });
      expect(summary).toMatchObject({ seen: 40, ingested: 40, failed: 0 });
      // Rows are written in source order at any concurrency.
      const rows = await w.sql.all<ImageTableRow & Record<string, unknown>>('SELECT * FROM images ORDER BY rowid');
      expect(rows.map((r) => r.class_idx)).toEqual([...cifar.labels.subarray(0, 40)]);
      // The official first test labels: cat, ship, ship, airplane, frog.
      expect(rows.slice(0, 5).map((r) => w.classes[r.class_idx]?.id)).toEqual(['cat', 'ship', 'ship', 'airplane', 'frog']);
      for (const [i, r] of rows.entries()) {
        expect(r).toMatchObject({ role: 'reference', source: 'arrays', source_id: `test_batch_first1000.bin#${i}`, width: 32, height: 32, format: 'png' });
        if (i < 5) {
          const original = await decodeRgb(join(w.dir, r.original_path));
          expect(Buffer.from(original.data).equals(Buffer.from(cifar.pixels.subarray(i * 3072, (i + 1) * 3072)))).toBe(true);
          expect(await imageInfo(join(w.dir, r.square_path))).toMatchObject({ width: 32, height: 32 });
          expect(await imageInfo(join(w.dir, r.display_path))).toMatchObject({ width: 32, height: 32, format: 'jpeg' });
        }
      }
    } finally {
      await closeWorkspace(w);
    }
  });
});
