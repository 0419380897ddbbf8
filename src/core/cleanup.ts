/**
 * Work to do when a command ends: a stage that keeps something alive between calls in one process
 * (a pool of worker threads, say) registers how to stop it, and the CLI's boundary runs every
 * registered step once the command has finished, so the process exits at once.
 */
const steps = new Set<() => Promise<void> | void>();

/** Registers a step; returns a function that unregisters it (after the resource closed itself). */
export function onCommandEnd(step: () => Promise<void> | void): () => void {
  steps.add(step);
  return () => steps.delete(step);
}

/** Runs and forgets every registered step (errors are ignored: the command's outcome stands). */
export async function runCommandEnd(): Promise<void> {
  const pending = [...steps];
  steps.clear();
  await Promise.allSettled(pending.map(async (step) => step()));
}
