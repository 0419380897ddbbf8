#!/usr/bin/env node
// The `retest` command. Runs the compiled JavaScript in dist/ (built by `npm ci` / `npm run build`)
// when it is at least as new as every source file; otherwise (a source edited since the last build,
// or no build) the TypeScript sources through tsx, which is slower to start but always current.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  if (process.env.RETEST_FROM_SOURCE === '1') return false;
  try {
    return statSync(join(root, 'dist', '.build-stamp')).mtimeMs >= newestSource(join(root, 'src'));
  } catch {
    return false;
  }
}

if (compiledIsCurrent()) {
  await import('../dist/app/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/app/main.ts');
}
