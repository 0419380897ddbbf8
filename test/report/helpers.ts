/** Runs retest sub-commands of this stage in-process, capturing stdout. */
import { Command } from 'commander';
import { vi } from 'vitest';
import { createApp } from '../../src/app/main.ts';
import { register as registerAnalyze } from '../../src/cli/commands/analyze.ts';
import { register as registerImport } from '../../src/cli/commands/import.ts';
import { register as registerReport } from '../../src/cli/commands/report.ts';

export async function runCli(args: string[]): Promise<string> {
  const program = new Command('retest').exitOverride();
  const app = createApp();
  registerImport(program, app);
  registerAnalyze(program, app);
  registerReport(program, app);
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}
