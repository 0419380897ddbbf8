/**
 * What the workspace commands (init, classes, collect, tasks, answers, frequencies, dedup, sample,
 * blacklist, export, serve, labellers, mturk) need from the composition root: opening a
 * workspace's stores. Implemented by `src/app`; the commands never open a store themselves.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the store redesign (issue 12, workspace side)
export interface WorkspaceApp {}
