export * from './errors.ts';
export * from './rng.ts';
export * from './hash.ts';
export * from './progress.ts';
export * from './files.ts';
export * from './csv.ts';
export * from './parse.ts';
