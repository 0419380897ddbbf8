/**
 * Load harness for the labelling server, shared by `npm run bench:label` and the crash test:
 * a synthetic workspace with many tasks, the server as a child process running the real CLI
 * (`retest serve`, 127.0.0.1 only), simulated labellers that claim a task (HTML page), pick images
 * and submit the form, and a checker that compares every acknowledged answer with the database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRng, sha1Hex } from '../src/core/index.ts';
import { shownItems } from '../src/server/image-tokens.ts';
import { inviteLabellers } from '../src/server/index.ts';
import type { ClassDef } from '../src/classes/index.ts';
import type { NewImage } from '../src/catalog/index.ts';
import type { NewTask } from '../src/label/index.ts';
import { connectStore, type SqlDatabase } from '../src/store/index.ts';
import { closeWorkspace, workspaceDatabase } from '../src/workspace/index.ts';
import { createWorkspace, workspaceStores } from '../src/app/workspace-stores.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What `buildLoadWorkspace` makes. */
export interface LoadWorkspaceOptions {
  /** Tasks, spread over the 10 classes in turn. */
  tasks: number;
  /** Images per task (default 48), the last `referencesPerTask` of them references. */
  itemsPerTask?: number;
  /** Reference images per task (default 6): half positive, half negative. */
  referencesPerTask?: number;
  /** Answers wanted per task (N). */
  assignmentsWanted: number;
  /** Labellers invited, as `retest labellers invite` does. */
  labellers: number;
  /** A PostgreSQL URL (with `?schema=`) for the workspace's tables; absent: workspace.db in the folder. */
  database?: string;
}

/** The 10 classes of a load workspace. */
export function loadClasses(): ClassDef[] {
  return Array.from({ length: 10 }, (_, i) => ({
    index: i,
    id: `class${i}`,
    names: [`thing ${i}`],
    definition: `the ${i}th thing`,
    urls: [],
    hypernyms: [],
    similar: [],
  }));
}

/**
 * A workspace of `tasks` tasks × `itemsPerTask` items (drawn from a small pool of image rows; no
 * files) with invited labellers, built through the product's stores, on SQLite or PostgreSQL.
 */
export async function buildLoadWorkspace(options: LoadWorkspaceOptions): Promise<{ dir: string; tokens: string[] }> {
  const items = options.itemsPerTask ?? 48;
  const references = options.referencesPerTask ?? 6;
  const dir = join(mkdtempSync(join(tmpdir(), 'retest-bench-label-')), 'ws');
  const classes = loadClasses();
  const ws = await createWorkspace(dir, { classes, ...(options.database === undefined ? {} : { database: options.database }) });
  try {
    const stores = workspaceStores(ws);
    const now = new Date().toISOString();
    const pool = classes.map((c) => Array.from({ length: items }, (_, i) => sha1Hex(`bench-${c.index}-${i}`)));
    for (const [classIdx, ids] of pool.entries()) {
      for (const [i, id] of ids.entries()) {
        await stores.catalog.addImage(loadImage(id, classIdx, i < items - references ? 'candidate' : 'reference', now));
      }
    }
    const roleAt = (position: number) => (position < items - references ? 'candidate' : position < items - references / 2 ? 'positive' : 'negative');
    const tasks: NewTask[] = Array.from({ length: options.tasks }, (_, t) => ({
      id: randomBytes(8).toString('hex'),
      seq: t,
      classIdx: t % classes.length,
      kind: 'main',
      assignmentsWanted: options.assignmentsWanted,
      batch: 'bench',
      createdAt: now,
      items: pool[t % classes.length]!.map((imageId, position) => ({ imageId, role: roleAt(position), token: randomBytes(16).toString('base64url') })),
    }));
    // In slices: one transaction per slice keeps a 20,000-task workspace's memory small.
    for (let start = 0; start < tasks.length; start += 2000) await stores.label.addTasks(tasks.slice(start, start + 2000));
    const names = Array.from({ length: options.labellers }, (_, i) => `bench${i}`);
    const tokens = (await inviteLabellers(stores, names)).map((i) => i.token);
    return { dir, tokens };
  } finally {
    await closeWorkspace(ws);
  }
}

/** The catalog row of a load image (no file behind it). */
function loadImage(id: string, classIdx: number, role: 'candidate' | 'reference', now: string): NewImage {
  return {
    id,
    role,
    classIdx,
    source: 'bench',
    sourceId: id,
    url: null,
    keyword: null,
    sha256: id,
    exactDuplicateOf: null,
    originalPath: `blobs/${id}.jpg`,
    displayPath: `blobs/${id}.jpg`,
    squarePath: `blobs/${id}.png`,
    width: 500,
    height: 375,
    uploadedAt: null,
    takenAt: null,
    createdAt: now,
    format: 'jpeg',
    bytes: null,
  };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<string>;
}

/** Starts `retest serve` as a child on 127.0.0.1 (a free port) and waits for its URL. */
export async function spawnServer(workspaceDir: string, extra: string[] = []): Promise<ServerProcess> {
  const nodeArgs = process.env.RETEST_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      join(REPO, 'bin', 'retest.js'),
      'serve',
      '--workspace',
      workspaceDir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--json',
      '--quiet',
      '--rate-limit',
      '1000000',
      ...extra,
    ],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RETEST_ADMIN_TOKEN: 'bench-admin-token' },
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<string>((res) => child.on('exit', (code, signal) => res(signal ?? String(code))));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`retest serve did not start within 60 s: ${stderr}`)), 60_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        res((JSON.parse(line) as { url: string }).url);
      } catch {
        rej(new Error(`unexpected output: ${line} ${stderr}`));
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      rej(new Error(`retest serve exited (${how}): ${stderr}`));
    });
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`the server must listen on 127.0.0.1 only, got ${url}`);
  return { child, url, exited };
}

/** An answer the server acknowledged (HTTP 200 with ok). */
export interface Ack {
  assignment: string;
  /** Shown (per-assignment) tokens selected. */
  selected: string[];
}

export interface LoadResult {
  acks: Ack[];
  /** Submit latencies in ms (acknowledged first submissions). */
  latencies: number[];
  /** Page (claim) latencies in ms. */
  pageLatencies: number[];
  /** Retries of an acknowledged submission that the server did not report as repeated. */
  duplicateAcks: number;
  /** Retries sent. */
  retries: number;
  /** Requests that failed (network errors, 5xx other than 503). */
  errors: number;
  /** Requests refused with 503 (the server was saturated; retried after a pause). */
  shed: number;
  /** Labellers that found no task left. */
  exhausted: number;
}

/**
 * Runs `tokens.length` simulated labellers against `url` until `stop()` returns true: sign in,
 * then loop GET /label → POST /label/submit (a seeded random selection; 10% of submissions are
 * sent twice, as a retry after a lost response would be).
 */
export function emptyLoadResult(): LoadResult {
  return { acks: [], latencies: [], pageLatencies: [], duplicateAcks: 0, retries: 0, errors: 0, shed: 0, exhausted: 0 };
}

/** `result` is filled as the load runs (watch it live) and returned at the end. */
export async function runLabellers(
  url: string | (() => string),
  tokens: readonly string[],
  stop: () => boolean,
  seed = 1,
  result: LoadResult = emptyLoadResult(),
): Promise<LoadResult> {
  const base = typeof url === 'string' ? () => url : url;
  const rng = createRng(seed);
  const one = async (token: string) => {
    const cookie = `retest_labeller=${token}`;
    while (!stop()) {
      try {
        const t0 = performance.now();
        const page = await fetch(`${base()}/label`, { headers: { cookie } });
        const html = await page.text();
        if (page.status === 503) {
          result.shed++;
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        } // Retry-After
        if (page.status !== 200) {
          result.errors++;
          continue;
        }
        result.pageLatencies.push(performance.now() - t0);
        if (html.includes('No tasks left')) {
          result.exhausted++;
          return;
        }
        const assignment = /name="assignment" value="([^"]+)"/.exec(html)![1]!;
        const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
        const shown = [...html.matchAll(/name="sel" value="([^"]+)"/g)].map((m) => m[1]!);
        const selected = shown.filter(() => rng.next() < 0.3);
        const body = new URLSearchParams({ assignment, _csrf: csrf });
        for (const s of selected) body.append('sel', s);
        const send = () =>
          fetch(`${base()}/label/submit`, {
            method: 'POST',
            body,
            headers: { cookie, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
          });
        const t1 = performance.now();
        const res = await send();
        const json = (await res.json()) as { ok?: boolean; repeated?: boolean };
        if (res.status === 503) {
          result.shed++;
          continue;
        }
        if (res.status !== 200 || !json.ok) {
          result.errors++;
          continue;
        }
        result.latencies.push(performance.now() - t1);
        result.acks.push({ assignment, selected });
        if (rng.next() < 0.1) {
          result.retries++;
          const again = await send();
          const j = (await again.json()) as { ok?: boolean; repeated?: boolean };
          if (again.status === 200 && j.ok && !j.repeated) result.duplicateAcks++;
        }
      } catch {
        result.errors++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(tokens.map(one));
  return result;
}

/** Options of one open-loop step. */
export interface OpenLoopOptions {
  /** Offered sessions (hence submits) per second; session starts are a Poisson process of this rate. */
  rate: number;
  /** Seconds during which sessions start (their submits may land a little later). */
  seconds: number;
  /** Think time between the page and the submit, drawn uniformly from [min, max] seconds. */
  think: [number, number];
  /** Fraction of submissions sent twice (a retry after a lost response). */
  retryFraction?: number;
  /** Seed of the arrivals, think times and selections. */
  seed?: number;
  /**
   * One keep-alive connection per labeller, kept across calls (as a browser keeps its connection
   * between tasks), and labellers picked most recently free first, so that the labellers at work
   * stay the same ones. Absent: all labellers share one pool of connections, opened on demand.
   */
  browsers?: Browsers;
}

/** Each labeller's own HTTP agent (one connection at a time, kept alive), like one browser per labeller. */
export class Browsers {
  private readonly agents = new Map<string, Agent>();

  /** The agent of the labeller with invite token `token` (made on first use). */
  agentFor(token: string): Agent {
    let agent = this.agents.get(token);
    if (agent === undefined) {
      agent = new Agent({ keepAlive: true, maxSockets: 1 });
      this.agents.set(token, agent);
    }
    return agent;
  }

  /**
   * Opens the connections of the labellers a run picks first (the last `count` of `tokens`) with a
   * GET /health each, 32 at a time, so that a measured step starts with its labellers on the site.
   * Resolves with the number of requests that opened a new connection.
   */
  async connect(url: string, tokens: readonly string[], count: number): Promise<number> {
    const wanted = tokens.slice(Math.max(0, tokens.length - count));
    let opened = 0;
    for (let start = 0; start < wanted.length; start += 32) {
      const replies = await Promise.all(wanted.slice(start, start + 32).map((token) => httpRequest(this.agentFor(token), `${url}/health`, { headers: {} })));
      opened += replies.filter((r) => r.newConnection).length;
    }
    return opened;
  }

  /** Closes every connection. */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** Where the time of one kind of request (pages or submits) went, one entry per answered request, in ms. */
export interface RequestTimes {
  /** From the moment the request was due to its response: what a labeller waits (the open loop's latency). */
  fromDue: number[];
  /** How late the load generator sent it (its timers and event loop share the CPUs with the server). */
  sendLag: number[];
  /** From sending to the whole response read: the network, the kernel's queues, the server and the client's own reading. */
  fromSend: number[];
  /** The server's own time (Server-Timing `total`: fair-queue wait + handling), from the request's first byte read to the response. */
  inServer: number[];
  /** Of which the wait for a slot of the fair queue (Server-Timing `queue`). */
  inQueue: number[];
  /** `fromSend` of the requests that had to open a new connection (none was free in the keep-alive pool). */
  fromSendNewConnection: number[];
}

/** What one open-loop step measured. Latencies are from the moment a request was due (open loop: a slow server cannot slow the arrivals down). */
export interface OpenLoopResult extends LoadResult {
  /** The rate offered. */
  offered: number;
  /** Sessions started. */
  sessions: number;
  /** Acknowledged submits per second over the step (first submissions). */
  achieved: number;
  /** Sessions that could not start because every labeller was busy (the pool is too small for rate × think). */
  noLabeller: number;
  /** Acknowledged first submissions, split by where their time went. */
  submits: RequestTimes;
  /** Answered task pages, split the same way. */
  pages: RequestTimes;
  /** Pages and submits refused with 503 (their deadline in the fair queue passed): how long they took to be refused. */
  refused: RequestTimes;
  /** The load generator's own event-loop delay over the step (ms, perf_hooks): when it is high, the generator, not the server, was late. */
  generatorDelay: { p99: number; max: number };
}

function emptyTimes(): RequestTimes {
  return { fromDue: [], sendLag: [], fromSend: [], inServer: [], inQueue: [], fromSendNewConnection: [] };
}

interface HttpResponse {
  status: number;
  text: string;
  /** Server-Timing `total` in ms, NaN when absent. */
  inServer: number;
  /** Server-Timing `queue` in ms, NaN when absent. */
  inQueue: number;
  /** Whether the request went out on a new connection rather than a kept-alive one. */
  newConnection: boolean;
}

/**
 * One HTTP request on a keep-alive agent. The open loop uses node:http rather than fetch: at several
 * hundred requests a second on a 2-core box, fetch's own CPU made the generator lag by seconds
 * (requests sent late), which then read as server latency.
 */
function httpRequest(agent: Agent, url: string, options: { method?: string; headers: Record<string, string>; body?: string }): Promise<HttpResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { agent, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const timing = /queue;dur=([\d.]+), total;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
        resolvePromise({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          inQueue: timing ? Number(timing[1]) : Number.NaN,
          inServer: timing ? Number(timing[2]) : Number.NaN,
          newConnection: !req.reusedSocket,
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends now (the request was due at `due`) and measures how late it was sent and how long its answer took. */
async function timedRequest(
  agent: Agent,
  url: string,
  due: number,
  options: { method?: string; headers: Record<string, string>; body?: string },
): Promise<HttpResponse & { times: { fromDue: number; sendLag: number; fromSend: number } }> {
  const sent = performance.now();
  const res = await httpRequest(agent, url, options);
  const done = performance.now();
  return { ...res, times: { fromDue: done - due, sendLag: sent - due, fromSend: done - sent } };
}

function record(into: RequestTimes, res: Awaited<ReturnType<typeof timedRequest>>): void {
  into.fromDue.push(res.times.fromDue);
  into.sendLag.push(res.times.sendLag);
  into.fromSend.push(res.times.fromSend);
  if (!Number.isNaN(res.inServer)) into.inServer.push(res.inServer);
  if (!Number.isNaN(res.inQueue)) into.inQueue.push(res.inQueue);
  if (res.newConnection) into.fromSendNewConnection.push(res.times.fromSend);
}

/**
 * An open-loop load: sessions arrive at `rate` per second whatever the server does (as real
 * labellers do), each GET /label (the page) → think → POST /label/submit, on a free labeller of
 * `tokens` (one session per labeller at a time). Waits for every session to end.
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one labeller session, step by step, then the arrival loop that starts them
export async function runOpenLoop(url: string, tokens: readonly string[], options: OpenLoopOptions): Promise<OpenLoopResult> {
  const rng = createRng(options.seed ?? 1);
  const result: OpenLoopResult = {
    ...emptyLoadResult(),
    offered: options.rate,
    sessions: 0,
    achieved: 0,
    noLabeller: 0,
    submits: emptyTimes(),
    pages: emptyTimes(),
    refused: emptyTimes(),
    generatorDelay: { p99: Number.NaN, max: Number.NaN },
  };
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const shared = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const agentOf = (token: string) => options.browsers?.agentFor(token) ?? shared;
  const free = [...tokens];
  const sessions: Promise<void>[] = [];
  // No timer for a moment already past: a timer waits at least 1 ms, so above ~1,000 arrivals a second
  // the arrival loop would fall further behind with every arrival (seconds by the end of a step).
  const sleepUntil = async (t: number) => {
    const wait = t - performance.now();
    if (wait > 0) await new Promise<void>((r) => setTimeout(r, wait));
  };
  const session = async (token: string, due: number) => {
    const cookie = `retest_labeller=${token}`;
    const agent = agentOf(token);
    try {
      await sleepUntil(due);
      const page = await timedRequest(agent, `${url}/label`, due, { headers: { cookie } });
      if (page.status !== 200) {
        if (page.status === 503) {
          result.shed++;
          record(result.refused, page);
        } else result.errors++;
        return;
      }
      result.pageLatencies.push(page.times.fromDue);
      record(result.pages, page);
      if (page.text.includes('No tasks left')) {
        result.exhausted++;
        return;
      }
      const assignment = /name="assignment" value="([^"]+)"/.exec(page.text)![1]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const shown = [...page.text.matchAll(/name="sel" value="([^"]+)"/g)].map((m) => m[1]!);
      const selected = shown.filter(() => rng.next() < 0.3);
      const think = options.think[0] + rng.next() * (options.think[1] - options.think[0]);
      const submitDue = performance.now() + think * 1000;
      await sleepUntil(submitDue);
      const body = new URLSearchParams({ assignment, _csrf: csrf });
      for (const s of selected) body.append('sel', s);
      const submit = {
        method: 'POST',
        body: body.toString(),
        headers: { cookie, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      };
      const res = await timedRequest(agent, `${url}/label/submit`, submitDue, submit);
      if (res.status === 503) {
        result.shed++;
        record(result.refused, res);
        return;
      }
      const json = JSON.parse(res.text) as { ok?: boolean; repeated?: boolean };
      if (res.status !== 200 || !json.ok) {
        result.errors++;
        return;
      }
      result.latencies.push(res.times.fromDue);
      record(result.submits, res);
      result.acks.push({ assignment, selected });
      if (rng.next() < (options.retryFraction ?? 0.1)) {
        result.retries++;
        const again = await httpRequest(agent, `${url}/label/submit`, submit);
        const j = JSON.parse(again.text) as { ok?: boolean; repeated?: boolean };
        if (again.status === 200 && j.ok && !j.repeated) result.duplicateAcks++;
      }
    } catch {
      result.errors++;
    } finally {
      free.push(token);
    }
  };
  const started = performance.now();
  const end = started + options.seconds * 1000;
  let due = started;
  while (true) {
    due += (-Math.log(1 - rng.next()) / options.rate) * 1000; // exponential gaps: Poisson arrivals
    if (due >= end) break;
    await sleepUntil(due);
    const token = options.browsers ? free.pop() : free.shift();
    if (token === undefined) {
      result.noLabeller++;
      continue;
    }
    result.sessions++;
    sessions.push(session(token, due));
  }
  await Promise.all(sessions);
  loopDelay.disable();
  result.generatorDelay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  shared.destroy();
  result.achieved = result.acks.length / options.seconds;
  return result;
}

export interface CheckResult {
  /** Acknowledged answers missing from the database or stored differently from what was sent. */
  lost: number;
  /** Answers stored twice: `ackedTwice` + `overfull` + `workerTwice`. */
  duplicated: number;
  /** Assignments acknowledged more than once as a first submission (a retry not seen as a repeat counts too). */
  ackedTwice: number;
  /** Answers beyond N, summed over the tasks over N. */
  overfull: number;
  /** (task, worker) pairs with more than one answered assignment. */
  workerTwice: number;
  /** Answered (submitted or approved) assignments in the database. */
  stored: number;
  /** Answered assignments per task, lowest and highest. */
  perTask: { min: number; max: number };
  /** Tasks in the workspace. */
  tasks: number;
  /** Assignments whose claim lapsed (status 'expired'). */
  expired: number;
}

/**
 * Compares acknowledged answers (`acks`; `duplicateAcks`: retries answered as new) with the
 * workspace's tables, through SQL on the port: `location` is the workspace folder (its
 * workspace.db or the PostgreSQL database its retest.json names).
 */
export async function checkAnswers(location: string, acks: readonly Ack[], duplicateAcks: number): Promise<CheckResult> {
  const db = await connectStore(workspaceDatabase(location), { defaultSchema: 'unused' });
  try {
    const key = (await db.get<{ value: string }>("SELECT value FROM server_secrets WHERE key = 'image_key'"))!.value;
    const seen = new Map<string, number>();
    for (const ack of acks) seen.set(ack.assignment, (seen.get(ack.assignment) ?? 0) + 1);
    let lost = 0;
    for (const ack of acks) if (!(await storedAsSent(db, key, ack))) lost++;
    const perTask = await db.all<{ wanted: number; n: number }>(
      `SELECT t.assignments_wanted AS wanted, COUNT(a.id) AS n FROM tasks t
       LEFT JOIN assignments a ON a.task_id = t.id AND a.status IN ('submitted', 'approved') GROUP BY t.id, t.assignments_wanted`,
    );
    const workerTwice = await db.get<{ x: number }>(
      "SELECT COUNT(*) AS x FROM (SELECT task_id, worker_hash FROM assignments WHERE status IN ('submitted', 'approved') GROUP BY task_id, worker_hash HAVING COUNT(*) > 1) AS d",
    );
    const stored = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM assignments WHERE status IN ('submitted', 'approved')");
    const expired = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM assignments WHERE status = 'expired'");
    const counts = perTask.map((r) => r.n);
    const ackedTwice = duplicateAcks + [...seen.values()].filter((n) => n > 1).length;
    const overfull = perTask.reduce((sum, r) => sum + Math.max(0, r.n - r.wanted), 0);
    return {
      lost,
      duplicated: ackedTwice + overfull + workerTwice!.x,
      ackedTwice,
      overfull,
      workerTwice: workerTwice!.x,
      stored: stored!.n,
      perTask: { min: Math.min(...counts), max: Math.max(...counts) },
      tasks: perTask.length,
      expired: expired!.n,
    };
  } finally {
    await db.close();
  }
}

/** Whether an acknowledged answer is stored, as answered, with exactly the images that were selected. */
async function storedAsSent(db: SqlDatabase, key: string, ack: Ack): Promise<boolean> {
  const a = await db.get<{ status: string; task_id: string }>('SELECT status, task_id FROM assignments WHERE id = ?', [ack.assignment]);
  if (!a || !['submitted', 'approved'].includes(a.status)) return false;
  const items = await db.all<{ image_id: string; token: string }>('SELECT image_id, token FROM task_items WHERE task_id = ? ORDER BY position', [a.task_id]);
  const byItem = new Map(items.map((i) => [i.token, i.image_id]));
  const expected = new Set(
    shownItems(
      key,
      ack.assignment,
      items.map((i) => i.token),
    )
      .filter((s) => ack.selected.includes(s.token))
      .map((s) => byItem.get(s.itemToken)!),
  );
  const stored = await db.all<{ image_id: string; selected: number }>('SELECT image_id, selected FROM answers WHERE assignment_id = ?', [ack.assignment]);
  const got = new Set(stored.filter((r) => r.selected === 1).map((r) => r.image_id));
  return stored.length === items.length && got.size === expected.size && [...expected].every((id) => got.has(id));
}

/** The q-quantile (0…1) of a list of numbers (nearest rank), NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
