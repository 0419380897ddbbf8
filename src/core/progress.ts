/**
 * Progress on long work. On a terminal: a bar with rate and ETA on stderr. With `--json`, or when
 * stderr is not a TTY (CI, pipes), it prints nothing. Library code receives a `Progress` and never
 * decides by itself whether to print.
 */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';

// Loaded when a terminal bar is first drawn, not at start-up.
const require = createRequire(import.meta.url);

export interface Progress {
  /** Starts (or restarts) a phase of `total` units, already `done` of them. */
  start(total: number, done?: number, label?: string): void;
  /** Advances by `units`. */
  tick(units?: number): void;
  /** Ends the phase. */
  stop(): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, stop() {} };

/** 1536 → "1.5 KiB", 6144128 → "5.9 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A terminal bar, or silence when `quiet` or stderr is not a TTY. `unit` names what is counted
 * ("images"); the unit "B" counts bytes and shows them as KiB/MiB/GiB.
 */
export function terminalProgress(options: { quiet?: boolean; unit?: string } = {}): Progress {
  if (options.quiet || !process.stderr.isTTY) return silentProgress;
  const unit = options.unit ?? 'items';
  const bytes = unit === 'B';
  const show = (n: number) => (bytes ? formatBytes(n) : String(Math.round(n)));
  let bar: cliProgress.SingleBar | undefined;
  let total = 0;
  let value = 0;
  let startedAt = 0;
  let startedDone = 0;
  const payload = () => {
    const seconds = (Date.now() - startedAt) / 1000;
    // Rate over the whole phase: steadier than an instantaneous one.
    const rate = seconds > 0 ? (value - startedDone) / seconds : 0;
    return {
      shown: `${show(value)}/${show(total)}${bytes ? '' : ` ${unit}`}`,
      speed: bytes ? `${formatBytes(Math.round(rate))}/s` : `${rate.toFixed(0)} ${unit}/s`,
    };
  };
  return {
    start(newTotal, done = 0, label = '') {
      bar?.stop();
      total = newTotal;
      value = done;
      startedAt = Date.now();
      startedDone = done;
      const bars = require('cli-progress') as typeof cliProgress;
      bar = new bars.SingleBar(
        {
          stream: process.stderr,
          format: `${label ? `${label} ` : ''}[{bar}] {shown} | {speed} | ETA {eta_formatted}`,
          etaBuffer: 50,
          hideCursor: true,
          clearOnComplete: false,
        },
        bars.Presets.shades_classic,
      );
      bar.start(total, done, payload());
    },
    tick(units = 1) {
      if (!bar) return;
      value += units;
      bar.update(value, payload());
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
