/**
 * Model selection by name or glob pattern (`*` any run of characters, `?` one character), as in
 * `--exclude 'fv_*'`. Patterns match the whole name, case-sensitively.
 */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export interface ModelFilter {
  /** Keep only names matching one of these (all when empty). */
  include?: readonly string[];
  /** Drop names matching one of these. */
  exclude?: readonly string[];
}

export function modelMatcher(filter: ModelFilter): (name: string) => boolean {
  const include = (filter.include ?? []).map(globToRegExp);
  const exclude = (filter.exclude ?? []).map(globToRegExp);
  return (name) => (include.length === 0 || include.some((r) => r.test(name))) && !exclude.some((r) => r.test(name));
}
