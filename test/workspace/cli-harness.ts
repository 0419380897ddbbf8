/**
 * Runs COLLECT's commands (init, classes, collect) in-process on a program that registers only them,
 * so these tests do not depend on other stages' commands. Errors are rendered as src/cli/main.ts does.
 */
import { Command, CommanderError } from 'commander';
import { vi } from 'vitest';
import { createApp } from '../../src/app/main.ts';
import type { RegisterCommand } from '../../src/cli/types.ts';
import { isRetestError } from '../../src/core/errors.ts';

export type Register = RegisterCommand;

export async function runCli(registers: Register[], args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('retest').exitOverride();
  const app = createApp();
  for (const r of registers) r(program, app);
  for (const c of program.commands) c.exitOverride();
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    return { code, stdout, stderr };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, stdout, stderr };
    if (isRetestError(error)) {
      if (args.includes('--json')) stdout += `${JSON.stringify(error.toJSON())}\n`;
      stderr += `${error.render()}\n`;
      return { code: error.kind === 'usage' ? 2 : 1, stdout, stderr };
    }
    throw error;
  } finally {
    process.exitCode = previousExitCode;
    out.mockRestore();
    err.mockRestore();
  }
}
