/**
 * The builder dashboard (admin only): per-class progress with the selection-frequency histogram
 * next to the reference histogram, the worker table with approve/reject, and a blacklist form.
 */
import { html, page, type SafeHtml } from '../../core/html.ts';
import { histogramSvg } from '../histogram-svg.ts';
import type { ClassProgress, WorkerRow } from '../types.ts';

export interface DashboardInput {
  classes: ClassProgress[];
  workers: WorkerRow[];
  /** CSRF token for the forms. */
  csrf: string;
  /** Minimum answers for an image to enter the histograms. */
  minAnswers: number;
  /** Link to the near-duplicate review, when mounted. */
  dedupReview: string | null;
  /** A one-line notice (after an action). */
  notice?: string;
  /** A warning about how the tables were computed (the dashboard worker failed: computed on the main thread). */
  warning?: string;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const secs = (x: number | null) => (x === null ? '–' : `${x.toFixed(0)} s`);

export function nav(dedupReview: string | null): SafeHtml {
  return html`<nav class="top"><a href="/admin">Dashboard</a><a href="/admin#workers">Workers</a><a href="/admin#blacklist">Blacklist</a>${dedupReview ? html`<a href="${dedupReview}">Near-duplicate review</a>` : ''}</nav>`;
}

export function renderDashboard(input: DashboardInput): string {
  const totals = input.classes.reduce((t, c) => ({ done: t.done + c.done, needed: t.needed + c.needed }), { done: 0, needed: 0 });
  const classRows = input.classes.map(
    (c) => html`<tr data-class="${String(c.classIdx)}">
<td class="num">${String(c.classIdx)}</td>
<td><a href="${`/admin/class/${c.classIdx}`}">${c.names.join(', ')}</a><br><span class="muted">${c.id}</span></td>
<td class="num">${String(c.tasks)}</td>
<td class="num progress" data-done="${String(c.done)}" data-needed="${String(c.needed)}">${String(c.done)} / ${String(c.needed)}</td>
<td class="num">${String(c.open)}</td>
<td>${histogramSvg(c.names[0] ?? c.id, c.candidateHistogram, c.referenceHistogram)}</td>
</tr>`,
  );
  const workerRows = input.workers.map(
    (w) => html`<tr data-worker="${w.workerHash}">
<td><code title="${w.workerHash}">${w.workerHash.slice(0, 12)}</code>${w.name ? html`<br>${w.name}` : ''}</td>
<td class="${`status-${w.status}`}">${w.status}</td>
<td class="num">${String(w.tasks)}</td>
<td class="num">${pct(w.controlAccuracy)}</td>
<td class="num">${secs(w.medianSeconds)}</td>
<td>${(['approve', 'reject'] as const).map((action) => html`<form class="inline" method="post" action="/admin/workers/status"><input type="hidden" name="_csrf" value="${input.csrf}"><input type="hidden" name="worker" value="${w.workerHash}"><input type="hidden" name="status" value="${action === 'approve' ? 'approved' : 'rejected'}"><button type="submit" data-action="${action}"${(action === 'approve' ? w.status === 'approved' : w.status === 'rejected') ? html` disabled` : ''}>${action === 'approve' ? 'Approve' : 'Reject'}</button></form> `)}</td>
</tr>`,
  );
  const body = html`<main class="dashboard">
${nav(input.dedupReview)}
<h1>Labelling dashboard</h1>
${input.notice ? html`<p class="banner" role="status">${input.notice}</p>` : ''}
${input.warning ? html`<p class="banner warning" role="status">${input.warning}</p>` : ''}
<p>Answers: <strong id="total-done">${String(totals.done)}</strong> of ${String(totals.needed)} needed. Histograms count images with at least ${String(input.minAnswers)} valid answers: candidates <span class="key-candidate">■</span>, reference <span class="key-reference">■</span>, bins [0,.2) … [.8,1].</p>
<h2 id="classes">Classes</h2>
<table class="classes"><thead><tr><th class="num">#</th><th>Class</th><th class="num">Tasks</th><th class="num">Answers</th><th class="num">Open</th><th>Selection frequency: candidates vs reference</th></tr></thead>
<tbody>${classRows}</tbody></table>
<h2 id="workers">Workers</h2>
${input.workers.length === 0 ? html`<p class="muted">No answers yet.</p>` : html`<table class="workers"><thead><tr><th>Worker</th><th>Status</th><th class="num">Tasks</th><th class="num">Control accuracy</th><th class="num">Median time</th><th>Review</th></tr></thead><tbody>${workerRows}</tbody></table>`}
<h2 id="blacklist">Blacklist an image</h2>
<form method="post" action="/admin/blacklist"><input type="hidden" name="_csrf" value="${input.csrf}">
<label>Image id <input name="image" required maxlength="128" size="42"></label>
<label>Reason <input name="reason" required maxlength="500" size="40"></label>
<button type="submit">Blacklist</button></form>
</main>`;
  return page('retest dashboard', body);
}
