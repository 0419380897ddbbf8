/**
 * `retest worker` processes for tests: spawned through bin/retest.js (the TypeScript sources),
 * with a short job lock so that a SIGKILLed worker's job is handed out again within seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.ts';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote on stderr so far. */
  log(): string;
  /** Resolves when its log matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal) once it exited. */
  exited: Promise<number | string>;
}

export const LOCK_MS = 2000;

export function spawnWorker(args: string[], env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'retest.js'), 'worker', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, RETEST_FROM_SOURCE: '1', RETEST_JOB_LOCK_MS: String(LOCK_MS), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  const waiters: (() => void)[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text += chunk;
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    log: () => text,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = text.match(pattern);
          if (m) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`worker log never matched ${pattern}:\n${text}`));
        }, timeoutMs);
        waiters.push(check);
        check();
        child.once('exit', () => {
          if (waiters.includes(check)) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(timer);
            reject(new Error(`worker exited before its log matched ${pattern}:\n${text}`));
          }
        });
      });
    },
  };
}

/** Stops workers still running (SIGTERM, then SIGKILL after 10 s). */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return;
      w.child.kill('SIGTERM');
      const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
      await w.exited;
      clearTimeout(timer);
    }),
  );
}
