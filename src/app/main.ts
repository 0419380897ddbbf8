/**
 * The composition root: the one place that knows every stage. It builds the `App` the commands
 * use (stores from `--db` URLs, servers) and runs the command line. `bin/retest.js` runs this file.
 */
import { buildProgram as buildCli, runCli } from '../cli/main.ts';
import type { App } from '../cli/types.ts';
import { resultsApp } from './results.ts';
import { workspaceApp } from './workspace.ts';

/** The App of this process: how commands open stores and start servers. */
export function createApp(): App {
  return { ...resultsApp(), ...workspaceApp() };
}

/** The command line with the real App and every command loaded (for help tests and embedding). */
export function buildFullProgram() {
  return buildCli(createApp(), { all: true });
}

/** Runs `retest ARGV…`; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCli(argv, createApp());
}

// `retest … | head` closes the pipe early: that is the reader's choice, not an error.
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

const isEntry = process.argv[1] !== undefined && /(?:retest(?:\.js)?|main\.ts)$/.test(process.argv[1]);
if (isEntry) {
  exitQuietlyOnClosedPipe();
  // Let pending output drain; servers keep the process alive on their own.
  process.exitCode = await main(process.argv.slice(2));
}
