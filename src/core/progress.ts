/**
 * Progress on long work. On a terminal: a bar with rate and ETA on stderr. With `--json`, or when
 * stderr is not a TTY (CI, pipes), it prints nothing. Library code receives a `Progress` and never
 * decides by itself whether to print.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Starts (or restarts) a phase of `total` units, already `done` of them. */
  start(total: number, done?: number, label?: string): void;
  /** Advances by `units`. */
  tick(units?: number): void;
  /** Ends the phase. */
  stop(): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, stop() {} };

/** A terminal bar, or silence when `quiet` or stderr is not a TTY. `unit` names what is counted ("images"). */
export function terminalProgress(options: { quiet?: boolean; unit?: string } = {}): Progress {
  if (options.quiet || !process.stderr.isTTY) return silentProgress;
  const unit = options.unit ?? 'items';
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(total, done = 0, label = '') {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${label ? `${label} ` : ''}[{bar}] {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
          etaBuffer: 50,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, done, { speed: '0' });
      startedAt = Date.now();
      startedDone = done;
    },
    tick(units = 1) {
      if (!bar) return;
      bar.increment(units, { speed: speed(bar) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
  // Rate over the whole phase: steadier than cli-progress's own, which it does not print.
  function speed(b: cliProgress.SingleBar): string {
    const seconds = (Date.now() - startedAt) / 1000;
    return seconds > 0 ? ((b.getProgress() * b.getTotal() - startedDone) / seconds).toFixed(0) : '0';
  }
}
let startedAt = 0;
let startedDone = 0;
