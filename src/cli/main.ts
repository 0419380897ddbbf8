/**
 * The `retest` command line. One error boundary: RetestErrors are rendered as data (exit 1 for
 * data/io problems, 2 for usage), anything else is a bug and shows its stack.
 */
import { Command, CommanderError, Help } from 'commander';
import { fromSystemError } from '../core/errors.ts';
import { commands } from './commands/index.ts';
import type { App } from './types.ts';
import { runCommandEnd } from '../core/cleanup.ts';

/** Which commands `buildProgram` loads: those an argv names (the default), or all of them. */
export interface BuildOptions {
  /** The command line about to run: only the command it names is loaded, the others are listed by summary. */
  argv?: readonly string[];
  /** Load every command (for help tests and documentation tools). */
  all?: boolean;
}

/**
 * The whole command line, its commands registered with `app` (built by src/app). Only the command
 * that will run is loaded (see commands/index.ts); the others appear in the help by their summary.
 */
export async function buildProgram(app: App, options: BuildOptions = {}): Promise<Command> {
  const program = new Command('retest')
    .description('Re-create an image classification test set and measure how classifiers generalize to it.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Descriptions are source-wrapped: rejoin a sentence broken mid-way before commander wraps to the
    // terminal width. A break stays after '.' or ':', around indented lines and blank lines.
    .configureHelp({
      minWidthToWrap: 30,
      boxWrap(this: Help, str: string, width: number) {
        return Help.prototype.boxWrap.call(this, unwrapSentences(str), width);
      },
    })
    .exitOverride();
  // The App learns which command runs (a stage not yet on PostgreSQL names it when it refuses).
  const wanted = options.all ? undefined : commandNamed(options.argv ?? []);
  for (const entry of commands) {
    if (options.all || entry.name === wanted) (await entry.load()).register(program, app);
    else program.command(entry.name).summary(entry.summary);
  }
  return program;
}

/** The command an argv runs: its first word that is not an option (`help X` → X). */
export function commandNamed(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** Joins a line with the next when the sentence runs on (no '.'/':' at its end, neither line indented). */
export function unwrapSentences(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const last = out[out.length - 1];
    if (last !== undefined && /^\S/.test(last) && /[^\s.:]$/.test(last) && /^\S/.test(line)) out[out.length - 1] = `${last} ${line}`;
    else out.push(line);
  }
  return out.join('\n');
}

/** Runs one command line; resolves to the exit code. The single error boundary of the CLI. */
export async function runCli(argv: string[], app: App): Promise<number> {
  const program = await buildProgram(app, { argv });
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    // Operating-system and SQLite faults that no stage named (a full disk, a read-only folder, a
    // damaged database) are still the user's to fix: render them as io/data errors, not as bugs.
    const known = fromSystemError(error);
    if (known) {
      if (wantsJson) process.stdout.write(`${JSON.stringify(known.toJSON())}\n`);
      process.stderr.write(`${known.render()}\n`);
      if (process.env.RETEST_DEBUG && known.cause) process.stderr.write(`cause: ${String((known.cause as Error).stack ?? known.cause)}\n`);
      return known.kind === 'usage' ? 2 : 1;
    }
    process.stderr.write(`retest: unexpected error (this is a bug; please report it with the command you ran)\n`);
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  } finally {
    await runCommandEnd();
  }
}
