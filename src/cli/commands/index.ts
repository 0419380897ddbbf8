/**
 * Every sub-command registers itself here: one file per verb in this folder, exporting
 * `register(program)`. Keep the list in pipeline order; `retest --help` shows it in this order.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
