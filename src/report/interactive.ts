/**
 * What makes a plot interactive inside the self-contained page, with no network: the Vega-Lite
 * spec is compiled to Vega here in Node, and the page carries the Vega runtime itself (the
 * `vega.min.js` of the installed vega package, with its BSD-3-Clause notice) plus a few lines that
 * start a View on each figure. Scripts are allowed by their sha256 in the page's
 * Content-Security-Policy; `default-src 'none'` still forbids every request. Deterministic: the
 * same vega version and spec give the same bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { VegaLiteSpec } from './types.ts';

/** Vega-Lite → Vega, in Node (vega-lite loaded lazily). */
export async function compileToVega(spec: VegaLiteSpec): Promise<Record<string, unknown>> {
  const vl = await import('vega-lite');
  return vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec as unknown as Record<string, unknown>;
}

let runtime: { script: string; version: string } | undefined;

/** The Vega runtime as one inline script, led by its license notice. */
export function vegaRuntime(): { script: string; version: string } {
  if (runtime) return runtime;
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('vega')), '..');
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const license = readFileSync(join(root, 'LICENSE'), 'utf8').trim().replace(/\*\//g, '* /');
  const code = readFileSync(join(root, 'build', 'vega.min.js'), 'utf8').trim();
  if (code.includes('</script')) throw new Error('bug: vega.min.js contains </script'); // cannot happen with the published build; never inline a broken page
  runtime = { script: `/*! Vega ${version} (https://vega.github.io), bundled so this page needs no network.\n${license}\n*/\n${code}`, version };
  return runtime;
}

/**
 * Starts a Vega View in every `figure[data-vega]` from the JSON data block it names, renders it as
 * SVG, and swaps it for the static SVG once it has rendered. Tooltips are a positioned box (the
 * model name and accuracies), not the browser's slow title tooltip.
 */
export const STARTER_SCRIPT = `(() => {
  const tip = document.createElement('div');
  tip.className = 'vega-tip';
  tip.hidden = true;
  document.body.appendChild(tip);
  const tooltip = (handler, event, item, value) => {
    if (value === null || value === undefined || value === '') { tip.hidden = true; return; }
    tip.textContent = typeof value === 'object' ? Object.values(value).join(' · ') : String(value);
    tip.hidden = false;
    tip.style.left = (event.pageX + 14) + 'px';
    tip.style.top = (event.pageY + 14) + 'px';
  };
  for (const figure of document.querySelectorAll('figure[data-vega]')) {
    const data = document.getElementById(figure.getAttribute('data-vega'));
    const holder = figure.querySelector('.interactive');
    if (!data || !holder || typeof vega === 'undefined') continue;
    const view = new vega.View(vega.parse(JSON.parse(data.textContent)), { renderer: 'svg', container: holder, hover: true, tooltip });
    view.runAsync().then(() => figure.classList.add('live')).catch((error) => console.error('retest report: interactive plot failed', error));
  }
})();`;

/** The CSP source that allows exactly this inline script. */
export function scriptHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
}

/** JSON safe inside a <script type="application/json"> block (no "</script" can close it early). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
