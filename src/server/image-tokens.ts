/**
 * Per-assignment image tokens. The label stage gives each task item an opaque token; the server
 * never shows it. Each labeller sees `HMAC(image_key, assignment, item token)` instead, so two
 * labellers of one task cannot match URLs, and the display order is the order of these tokens —
 * a per-assignment shuffle that carries no information about candidate or control.
 */
import { hmacToken } from './secrets.ts';

/** A task item as the server shows it to one assignment. */
export interface ShownItem {
  /** Per-assignment token (URL and form value). */
  token: string;
  /** The label stage's item token (what `LabelStore.submit` takes). */
  itemToken: string;
}

/** Shape of an image token in URLs and forms. */
export const IMAGE_TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** The items of `scope` (an assignment id or a preview scope) with their shown tokens, in display order. */
export function shownItems(key: string, scope: string, itemTokens: readonly string[]): ShownItem[] {
  return itemTokens
    .map((itemToken) => ({ token: hmacToken(key, 'image', scope, itemToken), itemToken }))
    .sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
}

/** The preview scope of a task: "p.<taskId>.<mac>", unforgeable without the key. */
export function previewScope(key: string, taskId: string): string {
  return `p.${taskId}.${hmacToken(key, 'preview', taskId)}`;
}

/** The task id of a valid preview scope, else null. */
export function parsePreviewScope(key: string, scope: string): string | null {
  const m = /^p\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22})$/.exec(scope);
  if (!m) return null;
  return previewScope(key, m[1]!) === scope ? m[1]! : null;
}

/** `shownItems` memoised per scope (the 48 HMACs are computed once per assignment, not per image request). */
export class ShownItemsCache {
  private readonly entries = new Map<string, { items: string; shown: ShownItem[] }>();
  constructor(
    private readonly key: string,
    private readonly capacity = 4096,
  ) {}

  get(scope: string, itemTokens: readonly string[]): ShownItem[] {
    const items = itemTokens.join(',');
    const hit = this.entries.get(scope);
    if (hit && hit.items === items) return hit.shown;
    const shown = shownItems(this.key, scope, itemTokens);
    this.entries.delete(scope);
    this.entries.set(scope, { items, shown });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return shown;
  }
}
