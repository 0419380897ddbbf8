/**
 * Per-class review (DESIGN §1.6): the images currently sampled for the class next to the class's
 * reference images, each with its selection frequency and a blacklist form.
 */
import type { ClassDef } from '../../classes/index.ts';
import { html, page } from '../../core/html.ts';
import { histogramSvg } from '../histogram-svg.ts';
import type { ReviewImage, ReviewImages } from '../review-data.ts';
import type { ClassProgress } from '../types.ts';
import { nav } from './dashboard-page.ts';

export interface ReviewPageInput {
  cls: ClassDef;
  progress: ClassProgress;
  images: ReviewImages;
  csrf: string;
  dedupReview: string | null;
  notice?: string;
}

const answers = (n: number) => `${n} answer${n === 1 ? '' : 's'}`;
const freq = (img: ReviewImage) => (img.frequency === null ? answers(img.answers) : `${img.frequency.toFixed(2)} (${answers(img.answers)})`);

export function renderReviewPage(input: ReviewPageInput): string {
  const figure = (img: ReviewImage, withForm: boolean) =>
    html`<figure data-image="${img.imageId}"><img src="${`/admin/image/${encodeURIComponent(img.imageId)}`}" alt="${img.imageId}" loading="lazy"><figcaption><code>${img.imageId.slice(0, 12)}</code> · ${freq(img)}${img.blacklisted ? html`<br><strong class="status-rejected">blacklisted:</strong> ${img.blacklisted}` : ''}${withForm && !img.blacklisted ? html`<form method="post" action="/admin/blacklist"><input type="hidden" name="_csrf" value="${input.csrf}"><input type="hidden" name="image" value="${img.imageId}"><input type="hidden" name="back" value="class"><input name="reason" required maxlength="500" placeholder="reason" size="12"> <button type="submit">Blacklist</button></form>` : ''}</figcaption></figure>`;
  const body = html`<main class="review-page">
${nav(input.dedupReview)}
<h1>Class ${String(input.cls.index)}: ${input.cls.names.join(', ')}</h1>
${input.notice ? html`<p class="banner" role="status">${input.notice}</p>` : ''}
<p class="definition">${input.cls.definition} <span class="muted">(${input.cls.id})</span></p>
<p>Answers ${String(input.progress.done)} / ${String(input.progress.needed)} · ${histogramSvg(input.cls.names[0] ?? input.cls.id, input.progress.candidateHistogram, input.progress.referenceHistogram)}</p>
<div class="review">
<section><h2>Sampled</h2><p class="muted">${input.images.sampledSource}</p>${input.images.sampled.length === 0 ? html`<p class="muted">Nothing sampled yet.</p>` : html`<div class="thumbs sampled">${input.images.sampled.map((i) => figure(i, true))}</div>`}</section>
<section><h2>Reference (original test set)</h2>${input.images.reference.length === 0 ? html`<p class="muted">No reference images.</p>` : html`<div class="thumbs reference">${input.images.reference.map((i) => figure(i, false))}</div>`}</section>
</div>
</main>`;
  return page(`Review ${input.cls.names[0] ?? input.cls.id}`, body);
}
