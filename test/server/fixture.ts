/**
 * A small labelling workspace in a temp folder: classes, generated images (candidates of varied
 * sizes, reference images of another size; rows written straight into the catalog's table), and
 * tasks of 42 candidates + 3 positive + 3 negative controls stored through the LabelStore.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClassDef } from '../../src/classes/index.ts';
import { sha1Hex } from '../../src/core/index.ts';
import { encodeJpeg } from '../../src/formats/image-io.ts';
import { randomBytes } from 'node:crypto';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import type { ItemRole, NewTask } from '../../src/label/index.ts';
import { addFixtureImages, type FixtureImage } from '../helpers/workspace-images.ts';

export interface FixtureOptions {
  /** Classes (default: two plain classes). */
  classes?: ClassDef[];
  /** Tasks per class (default 2). */
  tasksPerClass?: number;
  /** N: assignments wanted per task (default 2). */
  assignmentsWanted?: number;
  /** Candidates per task (default 42) and controls of each kind (default 3). */
  candidates?: number;
  controls?: number;
  /** Write real JPEGs (default true); false writes no files (for load tests that never fetch images). */
  images?: boolean;
}

export interface Fixture {
  dir: string;
  workspace: Workspace;
  /** Image ids by class and role. */
  images: { classIdx: number; role: 'candidate' | 'reference'; id: string }[];
  /** Task ids in claim order. */
  tasks: string[];
  close(): Promise<void>;
}

export const PLAIN_CLASSES: ClassDef[] = [
  {
    index: 0,
    id: 'n02084071',
    names: ['dog', 'domestic dog', 'Canis familiaris'],
    definition: 'a member of the genus Canis that has been domesticated by man since prehistoric times',
    urls: ['https://en.wikipedia.org/wiki/Dog'],
    hypernyms: [],
    similar: ['n02121808'],
  },
  {
    index: 1,
    id: 'n02121808',
    names: ['domestic cat', 'house cat'],
    definition: 'any domesticated member of the genus Felis',
    urls: [],
    hypernyms: [],
    similar: ['n02084071'],
  },
];

function colour(seed: number): [number, number, number] {
  return [(seed * 67) % 256, (seed * 131 + 40) % 256, (seed * 29 + 90) % 256];
}

async function jpeg(width: number, height: number, seed: number): Promise<Buffer> {
  const data = new Uint8Array(width * height * 3);
  const [r, g, b] = colour(seed);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const stripe = ((x >> 4) + (y >> 4) + seed) % 2 === 0;
      data[i] = stripe ? r : 255 - r;
      data[i + 1] = g;
      data[i + 2] = stripe ? b : 255 - b;
    }
  return encodeJpeg({ data, width, height }, 90);
}

export async function buildFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const classes = options.classes ?? PLAIN_CLASSES;
  const tasksPerClass = options.tasksPerClass ?? 2;
  const wanted = options.assignmentsWanted ?? 2;
  const nCand = options.candidates ?? 42;
  const nCtl = options.controls ?? 3;
  const writeImages = options.images ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'retest-server-'));
  const workspace = await createWorkspace(join(dir, 'ws'), { classes });
  mkdirSync(join(workspace.dir, 'blobs', 'display'), { recursive: true });
  const rows: FixtureImage[] = [];
  const images: Fixture['images'] = [];
  let seed = 0;
  const add = async (classIdx: number, role: 'candidate' | 'reference', width: number, height: number) => {
    seed++;
    const id = sha1Hex(`fixture-${role}-${classIdx}-${seed}`);
    const rel = `blobs/display/${id}.jpg`;
    if (writeImages) writeFileSync(join(workspace.dir, rel), await jpeg(width, height, seed));
    rows.push({
      id,
      role,
      classIdx,
      source: 'fixture',
      sourceId: `${role}-${seed}`,
      sha256: id,
      originalPath: rel,
      displayPath: rel,
      squarePath: rel,
      width,
      height,
      createdAt: new Date().toISOString(),
    });
    images.push({ classIdx, role, id });
    return id;
  };
  const candidates = new Map<number, string[]>();
  const references = new Map<number, string[]>();
  for (const c of classes) {
    const cand: string[] = [];
    for (let i = 0; i < nCand * tasksPerClass; i++) cand.push(await add(c.index, 'candidate', i % 2 ? 500 : 375, i % 2 ? 375 : 500));
    const ref: string[] = [];
    for (let i = 0; i < Math.max(nCtl * 2, 6); i++) ref.push(await add(c.index, 'reference', 64, 64));
    candidates.set(c.index, cand);
    references.set(c.index, ref);
  }
  await addFixtureImages(workspace, rows);
  const newTasks: NewTask[] = [];
  let seq = 0;
  for (let t = 0; t < tasksPerClass; t++)
    for (const c of classes) {
      const id = randomBytes(8).toString('hex');
      const other = classes[(c.index + 1) % classes.length]!.index;
      const items: [string, ItemRole][] = [
        ...candidates
          .get(c.index)!
          .slice(t * nCand, (t + 1) * nCand)
          .map((i): [string, ItemRole] => [i, 'candidate']),
        ...references
          .get(c.index)!
          .slice(0, nCtl)
          .map((i): [string, ItemRole] => [i, 'positive']),
        ...(other === c.index
          ? []
          : references
              .get(other)!
              .slice(nCtl, 2 * nCtl)
              .map((i): [string, ItemRole] => [i, 'negative'])),
      ];
      newTasks.push({
        id,
        seq: seq++,
        classIdx: c.index,
        kind: 'main',
        assignmentsWanted: wanted,
        batch: 'fixture',
        createdAt: new Date().toISOString(),
        items: items.map(([imageId, role]) => ({ imageId, role, token: randomBytes(16).toString('base64url') })),
      });
    }
  await workspaceStores(workspace).label.addTasks(newTasks);
  const tasks = newTasks.map((t) => t.id);
  return { dir, workspace, images, tasks, close: () => closeWorkspace(workspace) };
}

/** Role of an image in the fixture. */
export function roleOf(fixture: Fixture, imageId: string): string | undefined {
  return fixture.images.find((i) => i.id === imageId)?.role;
}
