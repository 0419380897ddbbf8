/**
 * Flickr as a candidate source (DESIGN §1.2): `flickr.photos.search` over REST/JSON, one query per
 * lemma, the per-class quota split evenly over the queries (floor, remainder dropped), upload/taken date windows, oldest first,
 * pagination, the largest available image URL, retries with backoff on 5xx/429, a request-rate limit.
 *
 * API: https://www.flickr.com/services/api/flickr.photos.search.html — answers look like
 * `{"photos":{"page":1,"pages":3,"perpage":100,"total":"250","photo":[{"id":"…","url_o":"…","height_o":…,
 * "width_o":…,"dateupload":"1342000000","datetaken":"2012-07-10 18:22:10",…}]},"stat":"ok"}` or
 * `{"stat":"fail","code":100,"message":"Invalid API Key (Key has invalid format)"}`.
 */
import { z } from 'zod';
import type { ClassDef } from '../classes/index.ts';
import { RetestError, ioError, usageError } from '../core/errors.ts';
import { mysqlBounds, unixBounds, type DateWindow } from './dates.ts';
import { RateLimiter, realSleep, withRetries, type Sleep } from '../core/http.ts';
import { parseJson, parseValue } from '../core/parse.ts';
import { redactUrl } from '../core/redact.ts';
import { queriesForClass, splitQuota, type KeywordOptions } from './keywords.ts';
import type { Candidate, CandidateSource, SourceContext } from './types.ts';

export const FLICKR_REST_URL = 'https://api.flickr.com/services/rest/';
/** Sizes requested, largest first: original, large 1024, medium 800, medium 640. */
export const FLICKR_SIZES = ['o', 'l', 'c', 'z'] as const;
export const FLICKR_EXTRAS = 'url_o,url_l,url_c,url_z,date_upload,date_taken,owner_name,license';

const num = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);
const str = z.union([z.string(), z.number().transform(String)]);

const flickrPhoto = z
  .object({
    id: str,
    owner: z.string().optional(),
    title: z.string().optional(),
    license: str.optional(),
    dateupload: str.optional(),
    datetaken: z.string().optional(),
    ownername: z.string().optional(),
    url_o: z.string().optional(),
    width_o: num.optional(),
    height_o: num.optional(),
    url_l: z.string().optional(),
    width_l: num.optional(),
    height_l: num.optional(),
    url_c: z.string().optional(),
    width_c: num.optional(),
    height_c: num.optional(),
    url_z: z.string().optional(),
    width_z: num.optional(),
    height_z: num.optional(),
  })
  .passthrough();
export type FlickrPhoto = z.infer<typeof flickrPhoto>;

const okAnswer = z.object({
  stat: z.literal('ok'),
  photos: z.object({ page: num, pages: num, perpage: num, total: num, photo: z.array(flickrPhoto) }),
});
const failAnswer = z.object({ stat: z.literal('fail'), code: num, message: z.string() });

/** One page of search results. */
export interface FlickrPage {
  page: number;
  pages: number;
  perpage: number;
  total: number;
  photos: FlickrPhoto[];
}

/** Parameters of one `flickr.photos.search` call. */
export interface FlickrSearchParams {
  text: string;
  uploaded?: DateWindow;
  taken?: DateWindow;
  /** Default 'date-posted-asc' (oldest first). */
  sort?: string;
  perPage: number;
  page: number;
}

export interface FlickrClientOptions {
  /** API key (env FLICKR_API_KEY in the CLI). */
  apiKey: string;
  /** REST endpoint; default https://api.flickr.com/services/rest/ (tests point it at a local server). */
  baseUrl?: string;
  /** Requests per second, shared by all searches of this client; default 1 (Flickr allows 3,600/hour). */
  requestsPerSecond?: number;
  /** Retries on network errors, 5xx, 429 and Flickr's "service unavailable"; default 5. */
  retries?: number;
  /** First backoff, doubling per retry; default 1000 ms. Retry-After wins when the server sends it. */
  backoffMs?: number;
  /** Per-request timeout; default 30 000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: Sleep;
  /** Called before each retry wait. */
  onRetry?: (info: { attempt: number; waitMs: number; reason: string }) => void;
}

/** Flickr error codes that mean "try again later". */
const TRANSIENT_CODES = new Set([0, 10, 105, 106]);

export class FlickrClient {
  private readonly limiter: RateLimiter;
  private readonly baseUrl: string;
  /** Number of HTTP requests made (including retries). */
  requests = 0;

  constructor(private readonly options: FlickrClientOptions) {
    if (!options.apiKey) {
      throw usageError('no Flickr API key', {
        field: 'FLICKR_API_KEY',
        hint: 'get a key at https://www.flickr.com/services/apps/create/ and set FLICKR_API_KEY',
      });
    }
    this.baseUrl = options.baseUrl ?? FLICKR_REST_URL;
    this.limiter = new RateLimiter(options.requestsPerSecond ?? 1, options.sleep ?? realSleep);
  }

  /** The request URL for a search (with the key). */
  searchUrl(params: FlickrSearchParams): string {
    const url = new URL(this.baseUrl);
    const q = url.searchParams;
    q.set('method', 'flickr.photos.search');
    q.set('api_key', this.options.apiKey);
    q.set('format', 'json');
    q.set('nojsoncallback', '1');
    q.set('text', params.text);
    if (params.uploaded) {
      const b = unixBounds(params.uploaded);
      q.set('min_upload_date', String(b.min));
      q.set('max_upload_date', String(b.max));
    }
    if (params.taken) {
      const b = mysqlBounds(params.taken);
      q.set('min_taken_date', b.min);
      q.set('max_taken_date', b.max);
    }
    q.set('sort', params.sort ?? 'date-posted-asc');
    q.set('media', 'photos');
    q.set('content_type', '1');
    q.set('extras', FLICKR_EXTRAS);
    q.set('per_page', String(params.perPage));
    q.set('page', String(params.page));
    return url.toString();
  }

  /** One search page. Flickr's error answers become RetestErrors (a bad key is a usage error). */
  async search(params: FlickrSearchParams, signal?: AbortSignal): Promise<FlickrPage> {
    const url = this.searchUrl(params);
    const doFetch = this.options.fetch ?? fetch;
    const retries = this.options.retries ?? 5;
    const backoffMs = this.options.backoffMs ?? 1000;
    const sleep = this.options.sleep ?? realSleep;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await withRetries(
          async () => {
            await this.limiter.acquire();
            this.requests++;
            const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
            return doFetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
          },
          { retries, backoffMs, sleep, ...(signal ? { signal } : {}), ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}) },
        );
      } catch (cause) {
        throw ioError(`cannot reach Flickr: ${(cause as Error).message}`, { file: redactUrl(url), cause, hint: 'check the network, or --base-url' });
      }
      const text = await response.text();
      if (!response.ok) {
        throw ioError(`Flickr answered HTTP ${response.status}${retries > 0 ? ` after ${retries} retries` : ''}`, {
          file: redactUrl(url),
          received: text.slice(0, 200),
        });
      }
      const answer = { what: 'the Flickr answer', file: redactUrl(url), kind: 'io', hint: 'is --base-url a Flickr REST endpoint?' } as const;
      const raw = parseJson(text, z.unknown(), answer);
      const fail = failAnswer.safeParse(raw);
      if (fail.success) {
        const { code, message } = fail.data;
        if (TRANSIENT_CODES.has(code) && attempt < retries) {
          const waitMs = backoffMs * 2 ** attempt;
          this.options.onRetry?.({ attempt: attempt + 1, waitMs, reason: `Flickr error ${code}: ${message}` });
          await sleep(waitMs);
          continue;
        }
        throw flickrFailure(code, message, url);
      }
      const p = parseValue(raw, okAnswer, { ...answer, expected: '{"stat": "ok", "photos": {page, pages, perpage, total, photo: [...]}}' }).photos;
      return { page: p.page, pages: p.pages, perpage: p.perpage, total: p.total, photos: p.photo };
    }
  }
}

function flickrFailure(code: number, message: string, url: string): RetestError {
  const text = `Flickr error ${code}: ${message}`;
  if (code === 100)
    return usageError(text, { field: 'FLICKR_API_KEY', file: redactUrl(url), hint: 'check FLICKR_API_KEY (https://www.flickr.com/services/apps/create/)' });
  return ioError(text, { file: redactUrl(url) });
}

/** The largest available size of a photo (by pixel count when dimensions are given, else o > l > c > z). */
export function largestUrl(photo: FlickrPhoto): { url: string; size: string; width?: number; height?: number } | undefined {
  let best: { url: string; size: string; width?: number; height?: number; area: number; rank: number } | undefined;
  FLICKR_SIZES.forEach((size, rank) => {
    const url = photo[`url_${size}`];
    if (!url) return;
    const width = photo[`width_${size}`];
    const height = photo[`height_${size}`];
    const area = width !== undefined && height !== undefined ? width * height : -1;
    const better = !best || (area >= 0 && best.area >= 0 ? area > best.area : false);
    if (better) best = { url, size, ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}), area, rank };
  });
  if (!best) return undefined;
  const { area: _area, rank: _rank, ...out } = best;
  return out;
}

/** Flickr's "YYYY-MM-DD HH:MM:SS" (camera-local) as "YYYY-MM-DDTHH:MM:SS"; unix upload time as ISO UTC. */
export function flickrDates(photo: FlickrPhoto): { uploadedAt?: string; takenAt?: string } {
  const out: { uploadedAt?: string; takenAt?: string } = {};
  if (photo.dateupload && /^\d+$/.test(photo.dateupload)) out.uploadedAt = new Date(Number(photo.dateupload) * 1000).toISOString();
  if (photo.datetaken && /^\d{4}-\d{2}-\d{2}/.test(photo.datetaken)) out.takenAt = photo.datetaken.replace(' ', 'T');
  return out;
}

export interface FlickrSourceOptions extends KeywordOptions {
  client: FlickrClient;
  /** All classes of the workspace (indices and names). */
  classes: readonly ClassDef[];
  /** Which classes to search (indices); default all. */
  classIndices?: readonly number[];
  /** Candidates per class, split evenly over the class's queries: floor(perClass / queries) each. */
  perClass: number;
  /** What happens to perClass mod queries: 'drop' (default, as the authors) or 'first' (to the first query). */
  quotaRemainder?: 'drop' | 'first';
  /** Upload-date window (the original: 2012-07-11..2013-07-11). */
  uploaded?: DateWindow;
  /**
   * Taken-date window: a fixed window, or 'uploaded' to use the same window as the upload date (also
   * when widened) — what the original authors did (both 2012-07-11..2013-07-11). Absent: no filter.
   */
  taken?: DateWindow | 'uploaded';
  /** Further upload windows tried, in order, for a query that ran short (the original widened to 2014/2015). */
  widenUploaded?: readonly DateWindow[];
  /** Results per page (Flickr's maximum is 500); default 100. */
  perPage?: number;
  /** Sort order; default 'date-posted-asc'. */
  sort?: string;
  /** Largest page requested per query and window (Flickr repeats results past ~4,000); default 40. */
  maxPages?: number;
}

/** Flickr search as a `CandidateSource`. */
export function flickrSource(options: FlickrSourceOptions): CandidateSource {
  const indices = options.classIndices ?? options.classes.map((c) => c.index);
  return {
    name: 'flickr',
    expected: indices.length * options.perClass,
    async *candidates(context: SourceContext): AsyncIterable<Candidate> {
      for (const classIdx of indices) {
        const c = options.classes[classIdx];
        if (!c) throw usageError(`no class with index ${classIdx}`, { field: '--classes' });
        yield* searchClass(options, c, context);
      }
    },
  };
}

async function* searchClass(options: FlickrSourceOptions, c: ClassDef, context: SourceContext): AsyncIterable<Candidate> {
  const queries = queriesForClass(c, options);
  const quotas = splitQuota(options.perClass, queries.length, options.quotaRemainder ?? 'drop');
  const seen = new Set<string>();
  const windows: (DateWindow | undefined)[] = [options.uploaded, ...(options.widenUploaded ?? [])];
  const perPage = options.perPage ?? 100;
  const maxPages = options.maxPages ?? 40;
  const taken = (uploaded: DateWindow | undefined): DateWindow | undefined => (options.taken === 'uploaded' ? uploaded : options.taken);
  for (const [q, text] of queries.entries()) {
    let remaining = quotas[q] ?? 0;
    for (const uploaded of windows) {
      for (let page = 1; remaining > 0 && page <= maxPages; page++) {
        context.signal?.throwIfAborted();
        const result = await options.client.search(
          {
            text,
            perPage,
            page,
            ...(uploaded ? { uploaded } : {}),
            ...(taken(uploaded) ? { taken: taken(uploaded) as DateWindow } : {}),
            ...(options.sort ? { sort: options.sort } : {}),
          },
          context.signal,
        );
        for (const photo of result.photos) {
          if (remaining <= 0) break;
          if (seen.has(photo.id)) continue;
          seen.add(photo.id);
          const best = largestUrl(photo);
          if (!best) {
            context.onFailure({
              source: 'flickr',
              sourceId: photo.id,
              classIdx: c.index,
              urlOrPath: `https://www.flickr.com/photos/${photo.owner ?? '_'}/${photo.id}`,
              reason: 'no downloadable size in the search answer (url_o, url_l, url_c, url_z all missing)',
            });
            continue;
          }
          remaining--;
          yield { source: 'flickr', sourceId: photo.id, classIdx: c.index, url: best.url, keyword: text, ...flickrDates(photo) };
        }
        if (result.photos.length === 0 || page >= result.pages) break;
      }
      if (remaining <= 0) break;
    }
  }
}
