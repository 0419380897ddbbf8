/**
 * Describing an image set as jobs: 'describe-shard' jobs each describe one slice of the set and
 * write its vectors into their rows of ONE shared raw float32 vector file under the data folder
 * (the layout `fileVectors` reads: row-major, little-endian), and a 'describe-finish' job writes
 * the file's manifest (`<file>.json`: set identity, descriptor, dimension, count) once every slice
 * is there. The submitter creates the file at its full size first; each slice is written with
 * positioned writes into its own rows, so a slice written twice (a retried or stalled job) writes
 * the same bytes. The vectors equal `describeSource`'s, bit for bit.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { dataError, usageError } from '../core/errors.ts';
import { writeFileAtomic } from '../formats/index.ts';
import { fileVectors, parseDescriptor, type ImageSource, type VectorSource } from '../dedup/index.ts';
import { fileRef, relativeToDataDir, type DataRef } from './data-ref.ts';
import { describeSlice, descriptorOf, sourceOf, jobsDidNotFinish } from './dedup-jobs.ts';
import type { GroupSpec, GroupStatus, JobContext, JobRunner, JobSpec } from './types.ts';

/** The vector file, relative to the data folder, and its row length. */
interface VectorFile {
  path: string;
  dimension: number;
}

/** Input of a 'describe-shard' job. */
export interface DescribeShardJob {
  descriptor: string;
  set: { ref: DataRef; start: number; count: number };
  out: VectorFile;
}

/** Input of a 'describe-finish' job: the manifest it writes. */
export interface DescribeFinishJob {
  out: VectorFile;
  manifest: VectorManifest;
}

/** `<vector file>.json`: what the vectors are. */
export interface VectorManifest {
  /** The image set (relative path and content identity). */
  set: DataRef;
  descriptor: string;
  dimension: number;
  count: number;
}

/** Plans the describe jobs of a set into `out` (relative to the data folder). */
export function planDescribe(input: { descriptor: string; set: DataRef; count: number; dimension: number; out: string; shardSize?: number }): GroupSpec {
  const shard = input.shardSize ?? 10_000;
  const out: VectorFile = { path: input.out, dimension: input.dimension };
  const children: JobSpec[] = [];
  for (let start = 0, s = 0; start < input.count; start += shard, s++) {
    const data: DescribeShardJob = { descriptor: input.descriptor, set: { ref: input.set, start, count: Math.min(shard, input.count - start) }, out };
    children.push({ kind: 'describe-shard', id: `shard-${s}`, data, units: data.set.count });
  }
  const finish: DescribeFinishJob = { out, manifest: { set: input.set, descriptor: input.descriptor, dimension: input.dimension, count: input.count } };
  return {
    name: `describe ${input.set.path} with ${input.descriptor} → ${input.out}`,
    jobs: [{ kind: 'describe-finish', id: 'finish', data: finish, children }],
  };
}

function outPath(out: VectorFile, dataDir: string): string {
  return join(resolve(dataDir), ...out.path.split('/'));
}

/** Runs one 'describe-shard' job: its slice's vectors into their rows of the file. */
export async function runDescribeShard(job: DescribeShardJob, context: Pick<JobContext, 'dataDir'>): Promise<{ start: number; count: number }> {
  const descriptor = descriptorOf(job.descriptor);
  const source = await sourceOf(job.set.ref, context.dataDir);
  const d = await descriptor.dimension(source.width, source.height);
  if (d !== job.out.dimension)
    throw dataError(`the descriptor gives ${d} values per image on this worker, ${job.out.dimension} were planned`, {
      field: 'descriptor',
      expected: String(job.out.dimension),
      received: String(d),
    });
  const vectors = await describeSlice(source, job.set, descriptor);
  if (vectors.location.kind !== 'memory') throw new Error('describeSlice returned file vectors (this is a bug)');
  const bytes = new Uint8Array(vectors.location.buffer, vectors.location.byteOffset, job.set.count * d * 4);
  const path = outPath(job.out, context.dataDir);
  if (!existsSync(path))
    throw dataError(`this worker cannot see the vector file ${job.out.path} in its data folder`, {
      file: path,
      field: '--data-dir',
      hint: 'the submitter creates it under the shared data folder; mount the same folder',
    });
  const fd = openSync(path, 'r+');
  try {
    let written = 0;
    const at = job.set.start * d * 4;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, at + written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { start: job.set.start, count: job.set.count };
}

/** Runs one 'describe-finish' job: checks the file's size and writes its manifest. */
export async function runDescribeFinish(job: DescribeFinishJob, context: Pick<JobContext, 'dataDir'>): Promise<VectorManifest> {
  const path = outPath(job.out, context.dataDir);
  const expected = job.manifest.count * job.manifest.dimension * 4;
  const size = existsSync(path) ? statSync(path).size : -1;
  if (size !== expected)
    throw dataError('the vector file does not have the planned size', {
      file: path,
      expected: `${expected} bytes`,
      received: size < 0 ? 'no file' : `${size} bytes`,
    });
  writeFileAtomic(`${path}.json`, `${JSON.stringify(job.manifest, null, 1)}\n`);
  return job.manifest;
}

/** Reads a finished vector file: its manifest must name `set` and `descriptor`. */
export function openVectorFile(path: string, expect: { set?: DataRef; descriptor?: string } = {}): VectorSource & { manifest: VectorManifest } {
  const manifestPath = `${path}.json`;
  if (!existsSync(manifestPath)) throw dataError('the vector file has no manifest: its describe jobs have not all finished', { file: manifestPath });
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as VectorManifest;
  if (expect.set && manifest.set.identity !== expect.set.identity)
    throw dataError('the vector file describes another image set', {
      file: manifestPath,
      field: 'set.identity',
      expected: expect.set.identity,
      received: manifest.set.identity,
    });
  if (expect.descriptor && manifest.descriptor !== expect.descriptor)
    throw dataError('the vector file was made with another descriptor', {
      file: manifestPath,
      field: 'descriptor',
      expected: expect.descriptor,
      received: manifest.descriptor,
    });
  return { ...fileVectors(path, manifest.dimension), manifest };
}

/** What `describeThroughRunner` is given: an image-set file and where its vectors go (under the data folder). */
export interface QueuedDescribeInput {
  runner: JobRunner;
  dataDir: string | undefined;
  source: ImageSource;
  descriptor: string;
  /** The vector file to write (absolute, under `dataDir`). */
  out: string;
  shardSize?: number;
  onProgress?: (status: GroupStatus) => void;
}

/** Describes `source` as jobs on `runner` into the vector file `out`; its vectors (read from the file). */
export async function describeThroughRunner(input: QueuedDescribeInput): Promise<VectorSource & { manifest: VectorManifest }> {
  if (!/^pixels(-std)?(@\d+)?$/.test(input.descriptor))
    throw usageError('jobs describe with the pixels and pixels-std descriptors (feature models are not shipped to workers yet)', {
      field: '--descriptor',
      received: input.descriptor,
    });
  const set = await fileRef(input.source.key, input.dataDir, `image set ${input.source.name}`);
  const out = relativeToDataDir(input.out, input.dataDir, 'the vector file');
  const descriptor = parseDescriptor(input.descriptor);
  const dimension = await descriptor.dimension(input.source.width, input.source.height);
  await descriptor.close();
  // The file at its full size: every job writes its own rows into it.
  mkdirSync(dirname(input.out), { recursive: true });
  const fd = openSync(input.out, existsSync(input.out) ? 'r+' : 'w');
  try {
    ftruncateSync(fd, input.source.count * dimension * 4);
  } finally {
    closeSync(fd);
  }
  const group = planDescribe({
    descriptor: input.descriptor,
    set,
    count: input.source.count,
    dimension,
    out,
    ...(input.shardSize ? { shardSize: input.shardSize } : {}),
  });
  const id = await input.runner.submit(group);
  const status = await input.runner.wait(id, input.onProgress ? { onProgress: input.onProgress } : {});
  if (status.state !== 'done') throw jobsDidNotFinish(status);
  return openVectorFile(input.out, { set, descriptor: input.descriptor });
}
