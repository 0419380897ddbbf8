#!/usr/bin/env node
// The `retest` command. Runs the TypeScript sources through tsx so that a fresh
// `npm ci` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/app/main.ts');
