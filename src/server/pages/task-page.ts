/**
 * The labelling page (DESIGN §1.3): the question with the class's lemmas joined by " or ", the
 * definition, Wikipedia links, the instructions and a grid of the task's images as checkboxes.
 * Every image looks alike to the labeller: same URL shape, same markup, same size, shuffled order.
 */
import type { ClassDef } from '../../classes/index.ts';
import { html, page, type SafeHtml } from '../../core/html.ts';

/** What the task page needs. */
export interface TaskPageInput {
  /** The target class. */
  cls: ClassDef;
  /** Image URL prefix scope: the assignment id, or a preview scope. */
  scope: string;
  /** Per-assignment image tokens in display order. */
  tokens: readonly string[];
  /** 'web' (invited labeller), 'mturk' (ExternalQuestion) or 'preview' (MTurk preview: read only). */
  mode: 'web' | 'mturk' | 'preview';
  /** Form action (unused in preview). */
  action: string;
  /** Hidden form fields (assignment id, CSRF token, MTurk ids). */
  hidden: Record<string, string>;
  /** ISO time the claim lapses (not shown in preview). */
  expiresAt?: string;
  /** A one-line notice shown above the task (e.g. "Thanks — here is the next task"). */
  notice?: string;
  /** Side of the thumbnails in pixels (for width/height attributes). */
  thumbnailSize: number;
}

/** Links to reference pages: the class's own http(s) URLs, else a Wikipedia search per lemma. */
export function referenceLinks(cls: ClassDef): { href: string; text: string }[] {
  const own = cls.urls
    .filter((u) => /^https?:\/\//i.test(u))
    .map((href) => ({ href, text: decodeURIComponent(href.replace(/^https?:\/\/(?:[a-z]+\.)?wikipedia\.org\/wiki\//i, '').replace(/_/g, ' ')) || href }));
  if (own.length > 0) return own;
  return cls.names.map((name) => ({ href: `https://en.wikipedia.org/w/index.php?search=${encodeURIComponent(name)}`, text: name }));
}

/** The lemmas joined by " or ", each in <strong>. */
export function question(cls: ClassDef): SafeHtml {
  const parts = cls.names.map((n, i) => html`${i > 0 ? ' or ' : ''}<strong class="lemma">${n}</strong>`);
  return html`Which of these images contain at least one object of type ${parts}?`;
}

export function renderTaskPage(input: TaskPageInput): string {
  const readOnly = input.mode === 'preview';
  const links = referenceLinks(input.cls);
  const cells = input.tokens.map(
    (token, i) =>
      html`<li class="cell"><label><input type="checkbox" name="sel" value="${token}"${readOnly ? html` disabled` : ''} aria-label="${`image ${i + 1} of ${input.tokens.length}`}"><img src="${`/img/${input.scope}/${token}`}" width="${input.thumbnailSize}" height="${input.thumbnailSize}" alt="${`image ${i + 1}`}" loading="${i < 9 ? 'eager' : 'lazy'}" decoding="async"></label></li>`,
  );
  const hidden = Object.entries(input.hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  const body = html`<main class="task" data-mode="${input.mode}">
<header>
${readOnly ? html`<p class="banner" role="status">Preview: accept the HIT to select images and submit.</p>` : ''}
${input.notice ? html`<p class="banner" role="status">${input.notice}</p>` : ''}
<h1 id="question">${question(input.cls)}</h1>
${input.cls.definition ? html`<p class="definition"><em>Definition:</em> ${input.cls.definition}</p>` : ''}
<p class="links">Not sure? Read about it: ${links.map((l, i) => html`${i > 0 ? ', ' : ''}<a href="${l.href}" target="_blank" rel="noopener noreferrer">${l.text}</a>`)}</p>
<details class="instructions" open><summary>Instructions</summary><ul>
<li>Select every image that contains at least one object of this type, regardless of occlusion, clutter, other objects or text in the image.</li>
<li>Select photographs only: do not select drawings, paintings, cartoons or renderings.</li>
<li>Click an image to select or unselect it. Keyboard: arrow keys move, space selects, enter submits.</li>
</ul></details>
</header>
<form id="task-form" method="post" action="${input.action}" aria-labelledby="question">
${hidden}
<ol class="grid">${cells}</ol>
<div class="actions">${readOnly ? html`<span class="muted">Preview only.</span>` : html`<button class="primary" type="submit">Submit</button><span class="muted"><span id="selected-count">0</span> selected</span><span id="submit-status" class="muted" role="status" aria-live="polite"></span>`}${input.expiresAt && !readOnly ? html`<span class="muted">Please submit before <time datetime="${input.expiresAt}">${input.expiresAt.slice(11, 16)} UTC</time>.</span>` : ''}</div>
</form>
</main>`;
  return page(`Label: ${input.cls.names.join(' or ')}`, body, { script: '/assets/label.js' });
}

/** A page with a heading and a paragraph (no tasks left, errors, thanks). */
export function renderMessagePage(title: string, message: string, extra: SafeHtml = html``): string {
  return page(title, html`<main><h1>${title}</h1><p>${message}</p>${extra}</main>`);
}

/** The MTurk hand-off: posts the assignment id (and a summary) to turkSubmitTo/mturk/externalSubmit. */
export function renderMturkSubmitPage(input: { submitUrl: string; mturkAssignmentId: string; assignmentId: string; selected: number }): string {
  const body = html`<main><h1>Thank you</h1><p>Your answer was saved. Sending it to Mechanical Turk…</p>
<form id="mturk-form" method="post" action="${input.submitUrl}">
<input type="hidden" name="assignmentId" value="${input.mturkAssignmentId}">
<input type="hidden" name="retestAssignment" value="${input.assignmentId}">
<input type="hidden" name="selected" value="${String(input.selected)}">
<button class="primary" type="submit">Finish the HIT</button>
</form></main>`;
  return page('Submitting to MTurk', body, { script: '/assets/mturk-submit.js' });
}
