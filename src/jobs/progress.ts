/**
 * The one progress line a submitting command shows while its job group runs: jobs and images done,
 * images per second, ETA and workers alive — on a terminal only (nothing with --json or in a pipe).
 */
import type { GroupStatus } from './types.ts';

/** The line for a status, `seconds` after `startDone` units were already done. */
export function progressLine(status: GroupStatus, seconds: number, startDone: number, unit = 'images'): string {
  const rate = seconds > 0 ? (status.unitsDone - startDone) / seconds : 0;
  const left = status.units - status.unitsDone;
  const eta = rate > 0 ? formatSeconds(left / rate) : '—';
  return `${status.state} · jobs ${status.completed}/${status.jobs} · ${status.unitsDone}/${status.units} ${unit} · ${rate.toFixed(0)} ${unit}/s · ETA ${eta} · workers ${status.workers}${status.parked.length ? ` · ${status.parked.length} parked` : ''}`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** An `onProgress` for `JobRunner.wait` drawing the line on stderr (a no-op when `quiet` or stderr is no terminal). */
export function terminalGroupProgress(options: { quiet?: boolean; unit?: string } = {}): ((status: GroupStatus) => void) | undefined {
  if (options.quiet || !process.stderr.isTTY) return undefined;
  const started = Date.now();
  let first: number | null = null;
  return (status) => {
    first ??= status.unitsDone;
    const line = progressLine(status, (Date.now() - started) / 1000, first, options.unit);
    process.stderr.write(
      `\r${line.slice(0, (process.stderr.columns ?? 120) - 1).padEnd((process.stderr.columns ?? 120) - 1)}${status.state === 'running' ? '' : '\n'}`,
    );
  };
}
