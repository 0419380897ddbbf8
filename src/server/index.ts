export type {
  ServerOptions,
  ServerStores,
  ServerStore,
  Labeller,
  Invitation,
  ClassProgress,
  WorkerRow,
  MturkLink,
  MturkBatchRow,
  SecretName,
} from './types.ts';
export { createServerStore } from './sql-server-store.ts';
export { MTURK_ORIGINS } from './types.ts';
export { serverMigrations } from './schema.ts';
export { buildApp } from './app.ts';
export { startServer, type StartOptions, type RunningServer } from './serve.ts';
export { inviteLabellers, labellerByToken, listLabellers, revokeLabellers } from './labellers.ts';
export { escapeHtml, html, raw } from '../core/html.ts';
export { enableMturk, disableMturk, mturkStatus, latestBatch, servedBatch, type MturkBatchState } from './mturk-mode.ts';
export { checkHost, checkPublicUrl, checkOrigin } from './addresses.ts';
