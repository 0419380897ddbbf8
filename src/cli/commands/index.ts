/**
 * Every sub-command registers itself here: one file per verb in this folder, exporting
 * `register(program, app)`. Keep the list in pipeline order; `retest --help` shows it in this order.
 */
import type { RegisterCommand } from '../types.ts';
import { register as evalCommand } from './eval.ts';
import { register as preprocessCommand } from './preprocess.ts';
import { register as fetchCommand } from './fetch.ts';
import { register as datasetsCommand } from './datasets.ts';
import { register as init } from './init.ts';
import { register as classes } from './classes.ts';
import { register as importCommand } from './import.ts';
import { register as analyzeCommand } from './analyze.ts';
import { register as reportCommand } from './report.ts';
import { register as planCommand } from './plan.ts';
import { register as collect } from './collect.ts';
import { register as keywords } from './keywords.ts';
import { register as serve } from './serve.ts';
import { register as labellers } from './labellers.ts';
import { register as mturk } from './mturk.ts';
import { register as dedup } from './dedup.ts';
import { register as tasks } from './tasks.ts';
import { register as answers } from './answers.ts';
import { register as frequencies } from './frequencies.ts';
import { register as sample } from './sample.ts';
import { register as blacklist } from './blacklist.ts';
import { register as exportCommand } from './export.ts';
import { register as dbCommand } from './db.ts';

export type { RegisterCommand } from '../types.ts';

export const commands: RegisterCommand[] = [datasetsCommand, fetchCommand, evalCommand, preprocessCommand, importCommand, analyzeCommand, reportCommand, planCommand, init, classes, keywords, collect, tasks, answers, frequencies, dedup, sample, blacklist, exportCommand, serve, labellers, mturk, dbCommand];
