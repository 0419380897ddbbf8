/**
 * The matrix's one display on a terminal: cells answered, predictions (images × models) per
 * second over the whole command, ETA. Silent with `--json` or when stderr is not a TTY.
 */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import type { MatrixProgress } from './types.ts';

const require = createRequire(import.meta.url);

export function terminalMatrixProgress(options: { quiet?: boolean } = {}): MatrixProgress {
  if (options.quiet || !process.stderr.isTTY) return { start() {}, tick() {}, cellDone() {}, stop() {} };
  let bar: cliProgress.SingleBar | undefined;
  let cells = 0,
    done = 0,
    value = 0,
    total = 0,
    startedAt = 0,
    startedValue = 0;
  const payload = () => {
    const seconds = (Date.now() - startedAt) / 1000;
    const rate = seconds > 0 ? (value - startedValue) / seconds : 0;
    return { cells: `${done}/${cells} cells`, shown: `${value}/${total} predictions`, speed: `${rate.toFixed(0)} images/s` };
  };
  return {
    start(matrix) {
      const bars = require('cli-progress') as typeof cliProgress;
      cells = matrix.cells;
      total = matrix.images;
      value = startedValue = matrix.doneImages;
      startedAt = Date.now();
      bar = new bars.SingleBar(
        { stream: process.stderr, format: '{cells} [{bar}] {shown} | {speed} | ETA {eta_formatted}', etaBuffer: 50, hideCursor: true, clearOnComplete: false },
        bars.Presets.shades_classic,
      );
      bar.start(total, value, payload());
    },
    tick(images) {
      value += images;
      bar?.update(value, payload());
    },
    cellDone(n) {
      done = n;
      bar?.update(value, payload());
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
