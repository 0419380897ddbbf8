/**
 * What the results-side commands (eval, preprocess, import, analyze, report, datasets, db) need from
 * the composition root: opening the results store named by `--db`. Implemented by `src/app`; the
 * commands never open a store themselves.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the store redesign (issue 12, results side)
export interface ResultsApp {}
