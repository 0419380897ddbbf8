// `npm run build` (and `npm ci`, through `prepare`): compiles src/ to dist/ with tsc, copies the
// files tsc does not emit (the server's browser assets), and stamps the build. bin/retest.js runs
// dist/ when the stamp is newer than every file in src/, else the sources through tsx.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// Non-TypeScript files beside the sources (CSS, browser scripts), except the tsx-only bootstraps.
function copyAssets(dir) {
  for (const entry of readdirSync(join(root, 'src', dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(rel);
    else if (!entry.name.endsWith('.ts') && !entry.name.endsWith('-tsx.mjs')) {
      mkdirSync(join(root, 'dist', dir), { recursive: true });
      cpSync(join(root, 'src', rel), join(root, 'dist', rel));
    }
  }
}
copyAssets('');
writeFileSync(join(root, 'dist', '.build-stamp'), `${new Date().toISOString()}\n`);
