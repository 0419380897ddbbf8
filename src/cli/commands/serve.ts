/**
 * `retest serve --workspace DIR [--host 127.0.0.1] [--port 8080]`: the labelling web app.
 * Prints the base URL and the admin link (with its token) on stdout; request logs (JSON, pino) go
 * to stderr. Stops gracefully on SIGINT / SIGTERM.
 */
import { type Command, Option } from 'commander';
import { usageError } from '../../core/index.ts';
import { startServer, type StartOptions } from '../../server/index.ts';
import type { App } from '../types.ts';
import { workspaceOption } from '../../workspace/index.ts';
import { jsonOption, positiveInt, printJson } from '../options.ts';

function nonNegativeInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw usageError(`${name} must be an integer ≥ 0`, { field: name, received: JSON.stringify(value) });
    return n;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw usageError('--port must be an integer 0–65535', { field: '--port', received: JSON.stringify(value) });
  return n;
}

interface ServeOptions {
  workspace?: string;
  host: string;
  port: number;
  ttl: number;
  assignments?: number;
  minAnswers: number;
  rateLimit: number;
  concurrency: number;
  queueDeadline: number;
  queueFairness: number;
  adminToken?: string;
  publicUrl?: string;
  mturkOrigin?: string[];
  trustProxy?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export function register(program: Command, app: App): void {
  program
    .command('serve')
    .description('serve the labelling app (invite links, MTurk ExternalQuestion) and the builder dashboard')
    .addOption(workspaceOption())
    .option('--host <address>', 'address to bind (keep 127.0.0.1 behind a reverse proxy)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', port, 8080)
    .option('--ttl <seconds>', 'seconds an open assignment lasts before it returns to the pool', positiveInt('--ttl'), 600)
    .option('--assignments <n>', 'answers wanted per task (default: each task’s own N)', positiveInt('--assignments'))
    .option('--min-answers <n>', 'valid answers an image needs to enter the dashboard histograms', positiveInt('--min-answers'), 10)
    .option('--rate-limit <n>', 'requests per minute per token', positiveInt('--rate-limit'), 1200)
    .option(
      '--concurrency <n>',
      'labeller requests worked on at once; the rest wait their turn, submissions first (0: no limit)',
      nonNegativeInt('--concurrency'),
      64,
    )
    .option(
      '--queue-deadline <ms>',
      'a task page that waited this long is refused with 503 + Retry-After (submissions: 5×)',
      positiveInt('--queue-deadline'),
      1000,
    )
    .option(
      '--queue-fairness <ratio>',
      'refuse (503) sooner: once a request waited this many times the median service time of recent ones (0: fixed deadlines only)',
      nonNegativeInt('--queue-fairness'),
      8,
    )
    .addOption(new Option('--admin-token <token>', 'admin token (default: a new random one per start)').env('RETEST_ADMIN_TOKEN'))
    .option('--public-url <url>', 'base URL printed in links (when behind a reverse proxy)')
    .option('--mturk-origin <origin...>', 'extra origins turkSubmitTo may name (default: MTurk and its sandbox)')
    .option('--trust-proxy', 'trust X-Forwarded-* headers from a TLS reverse proxy in front')
    .option('--quiet', 'no request logs')
    .addOption(jsonOption())
    .action((options: ServeOptions) => runServe(options, app));
}

/** Starts the server, prints its links, and runs until SIGINT or SIGTERM. */
async function runServe(options: ServeOptions, app: App): Promise<void> {
  const server = await startServer(serverOptions(options, app));
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(options.host) && !options.trustProxy) {
    process.stderr.write(
      `retest serve: warning: serving plain HTTP on ${options.host}; tokens travel in cookies and links — put a TLS reverse proxy in front (and pass --trust-proxy)\n`,
    );
  }
  if (options.json) printJson({ url: server.url, admin_url: server.adminUrl, admin_token: server.adminToken, pid: process.pid });
  else {
    process.stdout.write(`retest serve: listening on ${server.url}\n`);
    process.stdout.write(`admin:  ${server.adminUrl}\n`);
    process.stdout.write(`token:  ${server.adminToken}\n`);
    process.stdout.write(`labellers: retest labellers invite NAME… --url ${server.url}\n`);
    process.stdout.write(`mturk:  ExternalQuestion URL ${server.url}/mturk\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`retest serve: ${signal}, shutting down\n`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
}

/** The server's options from the command line's. */
function serverOptions(options: ServeOptions, app: App): StartOptions {
  return {
    openWorkspace: async () => {
      const workspace = await app.openWorkspace(options.workspace);
      return { workspace, stores: await app.storesOf(workspace) };
    },
    host: options.host,
    port: options.port,
    assignmentTtlSeconds: options.ttl,
    minAnswers: options.minAnswers,
    rateLimitPerMinute: options.rateLimit,
    queue: {
      concurrency: options.concurrency === 0 ? Number.POSITIVE_INFINITY : options.concurrency,
      pageDeadlineMs: options.queueDeadline,
      submitDeadlineMs: 5 * options.queueDeadline,
      fairness: options.queueFairness === 0 ? Number.POSITIVE_INFINITY : options.queueFairness,
    },
    logger: options.quiet ? false : { level: 'info', stream: process.stderr },
    trustProxy: options.trustProxy === true,
    ...(options.assignments !== undefined ? { assignmentsPerTask: options.assignments } : {}),
    ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
    ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
    ...(options.mturkOrigin !== undefined ? { mturkSubmitOrigins: ['https://www.mturk.com', 'https://workersandbox.mturk.com', ...options.mturkOrigin] } : {}),
  };
}
