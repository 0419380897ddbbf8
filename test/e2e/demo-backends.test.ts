/**
 * The CIFAR-10H demo pipeline (scripts/demo-pipeline.ts: ingest of real CIFAR-10 test images, tasks,
 * CIFAR-10H's real votes as answers, three revisions, NPY export, evaluation with the CIFAR-10 ONNX
 * models) on a slice — 100 images per class before the split, 10 per class per revision, two
 * models — run on a SQLite workspace and on a PostgreSQL workspace: the selection frequencies, the
 * samples (image ids per strategy, and the exported bytes) and the evaluation counts are identical.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runDemoPipeline, STRATEGIES, type DemoOptions } from '../../scripts/demo-pipeline.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';
import { describeWithData, missingShared, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const NEEDED = ['data/cifar10/test_batch_jpeg10000.bin', 'data/cifar10h/cifar10h-counts.npy', 'data/cifar10/test_labels_official.npy', 'models/cifar10'];

describeWithData('the CIFAR-10H demo pipeline on both workspace backends', () => {
  describeWithPostgres('SQLite and PostgreSQL workspaces', () => {
    it('give identical selection frequencies, samples and evaluation counts', async (context) => {
      const missing = missingShared(...NEEDED);
      if (missing.length > 0) {
        console.warn(`[skip] demo on both backends: missing ${missing.join(', ')}`);
        context.skip();
      }
      const options = (name: string): DemoOptions => ({
        dataDir: SHARED_DATA,
        modelsDir: join(SHARED_MODELS, 'cifar10'),
        out: join(mkdtempSync(join(tmpdir(), `retest-demo-${name}-`)), 'run'),
        seed: 1,
        perClass: 10,
        poolPerClass: 100,
        referenceImages: 20,
        limitModels: 2,
      });
      const sqlite = await runDemoPipeline(options('sqlite'));
      const postgres = await runDemoPipeline({ ...options('pg'), database: `${postgresUrl()}?schema=demo_${process.pid}_${Date.now() % 100000}` });

      expect([sqlite.backend, postgres.backend]).toEqual(['sqlite', 'postgres']);
      // The slice is what it should be: real answers, CIFAR-10H's shares exactly.
      expect(sqlite.pool).toMatchObject({ reference: 500, candidates: 500, left_out: [5690, 5873, 9375, 9380] });
      expect(sqlite.maxError).toBeLessThan(1e-12);
      expect(sqlite.frequencies.filter((f) => f.role === 'candidate')).toHaveLength(500);
      expect(sqlite.rows).toHaveLength(STRATEGIES.length * 2);
      for (const s of STRATEGIES) expect(sqlite.revisions[s.key]!.imageIds).toHaveLength(100);

      // Both backends: the same frequencies, samples, exported bytes and evaluation counts.
      expect(postgres.maxError).toBeLessThan(1e-12);
      expect(postgres.tasks).toEqual(sqlite.tasks);
      expect(postgres.imported).toEqual(sqlite.imported);
      expect(postgres.frequencies).toEqual(sqlite.frequencies);
      for (const s of STRATEGIES) {
        const [a, b] = [sqlite.revisions[s.key]!, postgres.revisions[s.key]!];
        expect(b.imageIds).toEqual(a.imageIds);
        expect([b.valid, b.data_sha256, b.upward_sampled]).toEqual([a.valid, a.data_sha256, a.upward_sampled]);
      }
      const counts = (r: typeof sqlite) => r.rows.map((x) => `${x.model} ${x.strategy} ${x.correct}/${x.n}`);
      expect(counts(postgres)).toEqual(counts(sqlite));
      expect(postgres.accuracyByBin).toEqual(sqlite.accuracyByBin);
      expect(postgres.original).toEqual(sqlite.original);
    });
  });
});
