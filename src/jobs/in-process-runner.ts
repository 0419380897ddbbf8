/**
 * The in-process `JobRunner`: what every command uses without `--queue`. Jobs run in this process,
 * `concurrency` at a time (default 1: the handlers use worker threads of their own), children
 * before their parent, with the same tries and parking as the queue. Nothing outlives the process.
 */
import { groupState, checkGroup, newGroupId } from './group.ts';
import type { GroupSpec, GroupStatus, JobHandlers, JobRunner, JobSpec, ParkedJob } from './types.ts';

interface Node {
  spec: JobSpec;
  parent: Node | null;
  children: Node[];
  pending: number;
  state: 'waiting' | 'waiting-children' | 'delayed' | 'active' | 'completed' | 'failed' | 'removed';
  attempts: number;
  error: string;
  value: unknown;
}

interface Group {
  id: string;
  name: string;
  submitted: string;
  attempts: number;
  backoffMs: number;
  nodes: Node[];
  top: Node[];
  cancelled: boolean;
}

export interface InProcessOptions {
  /** Jobs run at once (default 1). */
  concurrency?: number;
  /** `JobContext.dataDir` (default: the current folder). */
  dataDir?: string;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a factory returning the runner's methods as closures over its state
export function inProcessRunner(handlers: JobHandlers, options: InProcessOptions = {}): JobRunner {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const dataDir = options.dataDir ?? process.cwd();
  const groups = new Map<string, Group>();
  const ready: { group: Group; node: Node }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let running = 0;
  let closed = false;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };

  const pump = () => {
    while (!closed && running < concurrency && ready.length > 0) {
      const { group, node } = ready.shift() as { group: Group; node: Node };
      if (node.state !== 'waiting') continue;
      running++;
      node.state = 'active';
      node.attempts++;
      void runNode(group, node).finally(() => {
        running--;
        changed();
        pump();
      });
    }
  };

  const runNode = async (group: Group, node: Node) => {
    const handler = handlers[node.spec.kind];
    try {
      if (handler === undefined) throw new Error(`no handler for job kind "${node.spec.kind}"`);
      const value = await handler(node.spec.data as never, {
        id: node.spec.id,
        group: group.id,
        attempt: node.attempts,
        dataDir,
        childrenValues: async () => Object.fromEntries(node.children.map((c) => [c.spec.id, c.value])),
      });
      // Round-trip through JSON: the queue keeps return values as JSON, so both runners answer alike.
      node.value = value === undefined ? null : JSON.parse(JSON.stringify(value));
      node.state = 'completed';
      const parent = node.parent;
      if (parent !== null && --parent.pending === 0 && parent.state === 'waiting-children') {
        parent.state = 'waiting';
        ready.push({ group, node: parent });
      }
    } catch (error) {
      node.error = error instanceof Error ? error.message : String(error);
      if (node.attempts < group.attempts) {
        node.state = 'delayed';
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            if (node.state !== 'delayed') return;
            node.state = 'waiting';
            ready.push({ group, node });
            pump();
          },
          group.backoffMs * 2 ** (node.attempts - 1),
        );
        timers.add(timer);
      } else {
        node.state = 'failed';
      }
    }
  };

  const statusOf = (group: Group): GroupStatus => {
    const count = (state: Node['state']) => group.nodes.filter((n) => n.state === state).length;
    const parked: ParkedJob[] = group.nodes
      .filter((n) => n.state === 'failed')
      .map((n) => ({ id: n.spec.id, kind: n.spec.kind, attempts: n.attempts, error: n.error }));
    const completed = count('completed');
    const active = count('active');
    const runnable = active + count('waiting') + count('delayed');
    return {
      id: group.id,
      name: group.name,
      submitted: group.submitted,
      state: groupState({ cancelled: group.cancelled, jobs: group.nodes.length, completed, runnable, parked: parked.length }),
      jobs: group.nodes.length,
      completed,
      active,
      units: group.nodes.reduce((s, n) => s + (n.spec.units ?? 0), 0),
      unitsDone: group.nodes.reduce((s, n) => s + (n.state === 'completed' ? (n.spec.units ?? 0) : 0), 0),
      parked,
      workers: closed ? 0 : 1,
    };
  };

  const get = (id: string): Group | undefined => groups.get(id);

  return {
    kind: 'in-process',
    async submit(spec: GroupSpec) {
      checkGroup(spec);
      const group: Group = {
        id: newGroupId(),
        name: spec.name,
        submitted: new Date().toISOString(),
        attempts: spec.attempts ?? 3,
        backoffMs: spec.backoffMs ?? 1000,
        nodes: [],
        top: [],
        cancelled: false,
      };
      const add = (job: JobSpec, parent: Node | null): Node => {
        const node: Node = { spec: job, parent, children: [], pending: 0, state: 'waiting', attempts: 0, error: '', value: undefined };
        group.nodes.push(node);
        node.children = (job.children ?? []).map((c) => add(c, node));
        node.pending = node.children.length;
        if (node.pending > 0) node.state = 'waiting-children';
        return node;
      };
      group.top = spec.jobs.map((j) => add(j, null));
      groups.set(group.id, group);
      // Leaves in submission order (depth first), as the queue takes them.
      for (const node of group.nodes) if (node.state === 'waiting') ready.push({ group, node });
      queueMicrotask(pump);
      return group.id;
    },
    async status(id) {
      const group = get(id);
      return group && statusOf(group);
    },
    async list() {
      return [...groups.values()].map(statusOf);
    },
    async wait(id, options = {}) {
      const group = get(id);
      if (group === undefined) throw new Error(`no job group ${id}`);
      return new Promise<GroupStatus>((resolve) => {
        const check = () => {
          const status = statusOf(group);
          if (status.state !== 'running') {
            clearInterval(timer);
            listeners.delete(check);
            options.onProgress?.(status);
            resolve(status);
          }
        };
        const timer = setInterval(() => options.onProgress?.(statusOf(group)), options.intervalMs ?? 500);
        listeners.add(check);
        check();
      });
    },
    async results(id) {
      const group = get(id);
      if (group === undefined) return {};
      return Object.fromEntries(group.top.filter((n) => n.state === 'completed').map((n) => [n.spec.id, n.value]));
    },
    async retry(id) {
      const group = get(id);
      if (group === undefined) return 0;
      let n = 0;
      for (const node of group.nodes) {
        if (node.state !== 'failed') continue;
        node.state = 'waiting';
        node.attempts = 0;
        ready.push({ group, node });
        n++;
      }
      pump();
      return n;
    },
    async cancel(id) {
      const group = get(id);
      if (group === undefined) return 0;
      group.cancelled = true;
      let n = 0;
      for (const node of group.nodes) {
        if (node.state === 'waiting' || node.state === 'waiting-children' || node.state === 'delayed' || node.state === 'failed') {
          node.state = 'removed';
          n++;
        }
      }
      changed();
      return n;
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      changed();
    },
  };
}
