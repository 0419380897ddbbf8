/**
 * Server-rendered HTML without a template engine. `html` is a tagged template that escapes every
 * interpolated value unless it is already `SafeHtml` (the result of another `html` call or `raw`),
 * so data-derived strings (lemmas, glosses, file names, reasons) cannot inject markup.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for use in element content and in quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** Markup that is already safe to emit as is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks a trusted, constant string as markup. Never pass data-derived text. */
export function raw(value: string): SafeHtml {
  return new SafeHtml(value);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  return escapeHtml(value);
}

/** `html\`<p>${text}</p>\`` — escapes interpolations; arrays are joined; null/undefined/false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** A complete page with the shared stylesheet. */
export function page(title: string, body: SafeHtml, options: { script?: string; bodyClass?: string } = {}): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${title}</title><link rel="stylesheet" href="/assets/app.css"></head><body class="${options.bodyClass ?? ''}">${body}${options.script ? html`<script src="${options.script}" defer></script>` : ''}</body></html>`.value}`;
}
