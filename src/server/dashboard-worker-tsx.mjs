// Bootstrap of the dashboard worker when retest runs from its TypeScript sources (tsx, vitest):
// module hooks registered in the main thread do not reach worker threads, so register tsx here first.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./dashboard-worker.ts');
export default worker.default;
