/**
 * The near-duplicate review page (mounted by the server under /admin/dedup), rendered on the server: one row per (candidate, neighbour) pair with both
 * images side by side, the distances that put it in the queue, and its decision. Keyboard:
 * d = duplicate, n = not duplicate, ←/→ (or ↑/↓, j/k) = previous/next pair. Decisions are POSTed as
 * JSON to `<prefix>/decide`; the row updates in place and focus moves to the next pair.
 */
import { formatDistance, type ReviewPair } from '../../dedup/index.ts';
import { escapeHtml } from '../../core/html.ts';

export interface DedupReviewPageInput {
  /** URL prefix the routes are mounted under ('' or '/admin/dedup'). */
  prefix: string;
  /** The pairs on this page. */
  pairs: ReviewPair[];
  /** Totals over the whole queue. */
  total: number;
  undecided: number;
  /** Who is reviewing (shown, and recorded with each decision). */
  reviewer: string;
  /** Paging. */
  offset: number;
  limit: number;
}

export function renderDedupReviewPage(input: DedupReviewPageInput): string {
  const p = escapeHtml(input.prefix);
  const image = (path: string | null) =>
    path ? `<img src="${p}/image?path=${encodeURIComponent(path)}" width="192" height="192" alt="">` : '<div class="missing">no image</div>';
  const rows = input.pairs
    .map((pair, i) => {
      const metrics = pair.metrics
        .map(
          (m) =>
            `<li><b>${escapeHtml(m.metric)}</b> ${formatDistance(m.distance)} <span class="dim">(≤ ${formatDistance(m.threshold)}, rank ${m.rank + 1})</span></li>`,
        )
        .join('');
      const state = pair.decision === null ? 'undecided' : pair.decision;
      const who = pair.reviewer ? `<div class="dim">${escapeHtml(pair.reviewer)}, ${escapeHtml(pair.decidedAt ?? '')}</div>` : '';
      return `<section class="pair ${state}" tabindex="0" data-index="${i}" data-candidate="${escapeHtml(pair.candidateId)}" data-set="${escapeHtml(pair.neighbourSet)}" data-neighbour="${escapeHtml(pair.neighbourId)}">
  <figure>${image(pair.candidatePath)}<figcaption>candidate ${escapeHtml(pair.candidateId)}</figcaption></figure>
  <figure>${image(pair.neighbourPath)}<figcaption>${escapeHtml(pair.neighbourRole === 'reference' ? 'original' : 'candidate')} ${escapeHtml(pair.neighbourSet === 'workspace' ? '' : `${pair.neighbourSet}:`)}${escapeHtml(pair.neighbourId)}</figcaption></figure>
  <div class="info"><ul>${metrics}</ul><div class="state">${state.replace('_', ' ')}</div>${who}
    <button type="button" data-decision="duplicate">duplicate (d)</button> <button type="button" data-decision="not_duplicate">not duplicate (n)</button></div>
</section>`;
    })
    .join('\n');
  const next = input.offset + input.limit < input.total ? `<a href="${p}/?offset=${input.offset + input.limit}">next page →</a>` : '';
  const prev = input.offset > 0 ? `<a href="${p}/?offset=${Math.max(0, input.offset - input.limit)}">← previous page</a>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>retest · near-duplicate review</title>
<style>
body{font:14px system-ui,sans-serif;margin:1rem;background:#fafafa;color:#222}
.pair{display:flex;gap:1rem;align-items:flex-start;padding:.5rem;margin:.5rem 0;border:2px solid #ddd;border-radius:6px;background:#fff}
.pair:focus{outline:none;border-color:#2563eb;box-shadow:0 0 0 3px #bfdbfe}
.pair.duplicate{background:#fee2e2}.pair.not_duplicate{background:#dcfce7}
figure{margin:0}figcaption{font-size:12px;color:#555;max-width:192px;word-break:break-all}
img{image-rendering:pixelated;background:#eee}.missing{width:192px;height:192px;background:#eee;display:grid;place-items:center}
.info ul{margin:0;padding-left:1rem}.dim{color:#777;font-size:12px}.state{font-weight:600;margin:.4rem 0}
kbd{border:1px solid #aaa;border-radius:3px;padding:0 3px}
</style></head>
<body>
<h1>Near-duplicate review</h1>
<p>${input.undecided} of ${input.total} pairs undecided · reviewer <b id="reviewer">${escapeHtml(input.reviewer)}</b> ·
<kbd>d</kbd> duplicate · <kbd>n</kbd> not duplicate · <kbd>←</kbd>/<kbd>→</kbd> move</p>
<p>${prev} ${next}</p>
<main id="pairs">
${rows || '<p id="empty">Nothing to review: no pair is closer than its threshold.</p>'}
</main>
<script>
const prefix = ${JSON.stringify(input.prefix)};
const pairs = [...document.querySelectorAll('.pair')];
let current = pairs.findIndex((el) => el.classList.contains('undecided'));
if (current < 0) current = 0;
function focusPair(i) { if (!pairs.length) return; current = Math.max(0, Math.min(pairs.length - 1, i)); pairs[current].focus(); pairs[current].scrollIntoView({ block: 'nearest' }); }
async function decide(el, decision) {
  const body = { candidateId: el.dataset.candidate, neighbourSet: el.dataset.set, neighbourId: el.dataset.neighbour, decision };
  const res = await fetch(prefix + '/decide', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) { alert('could not save: ' + (await res.text())); return; }
  const saved = await res.json();
  el.classList.remove('undecided', 'duplicate', 'not_duplicate');
  el.classList.add(decision);
  el.querySelector('.state').textContent = decision.replace('_', ' ') + ' (saved ' + saved.decidedAt + ')';
  focusPair(pairs.indexOf(el) + 1);
}
pairs.forEach((el, i) => {
  el.addEventListener('click', () => { current = i; });
  el.querySelectorAll('button').forEach((b) => b.addEventListener('click', () => decide(el, b.dataset.decision)));
});
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || !pairs.length) return;
  if (e.key === 'd') decide(pairs[current], 'duplicate');
  else if (e.key === 'n') decide(pairs[current], 'not_duplicate');
  else if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'j') { e.preventDefault(); focusPair(current + 1); }
  else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'k') { e.preventDefault(); focusPair(current - 1); }
});
focusPair(current);
</script>
</body></html>
`;
}
