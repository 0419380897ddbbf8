/**
 * A local stand-in for Flickr's REST API (flickr.photos.search, JSON with nojsoncallback=1) and its
 * static image host, on 127.0.0.1. Answers have Flickr's real shape: numbers for page/pages/perpage,
 * a string total, extras as url_x/height_x/width_x, dateupload as a unix-seconds string,
 * datetaken as "YYYY-MM-DD HH:MM:SS", errors as HTTP 200 {"stat":"fail","code":…,"message":…}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePhoto {
  id: string;
  /** Words searched by `text` (title + tags). */
  text: string;
  /** Unix seconds. */
  dateupload: number;
  /** "YYYY-MM-DD HH:MM:SS". */
  datetaken: string;
  /** Available sizes with their dimensions. */
  sizes: Partial<Record<'o' | 'l' | 'c' | 'z', [number, number]>>;
}

export interface Scripted {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface FakeFlickr {
  /** REST endpoint, e.g. http://127.0.0.1:PORT/services/rest/ */
  restUrl: string;
  /** Image host base, http://127.0.0.1:PORT/img/ */
  imageBase: string;
  /** Parsed query of every REST request, in order (retries included). */
  requests: Record<string, string>[];
  /** Times (ms, Date.now()) of every REST request. */
  requestTimes: number[];
  /** Answers given instead of the real one to the next REST requests. */
  script: Scripted[];
  /** Image bytes served at imageBase + `<id>_<size>.jpg`; missing → 404. */
  images: Map<string, Buffer>;
  /** Image paths requested. */
  imageRequests: string[];
  close(): Promise<void>;
}

export const GOOD_KEY = '0123456789abcdef0123456789abcdef';

export async function startFakeFlickr(photos: FakePhoto[]): Promise<FakeFlickr> {
  const state = {
    requests: [] as Record<string, string>[],
    requestTimes: [] as number[],
    script: [] as Scripted[],
    images: new Map<string, Buffer>(),
    imageRequests: [] as string[],
  };
  let base = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/img/')) {
      const name = url.pathname.slice('/img/'.length);
      state.imageRequests.push(name);
      const bytes = state.images.get(name);
      if (!bytes) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) }).end(bytes);
      return;
    }
    if (url.pathname !== '/services/rest/') {
      res.writeHead(404).end();
      return;
    }
    const q = Object.fromEntries(url.searchParams);
    state.requests.push(q);
    state.requestTimes.push(Date.now());
    const scripted = state.script.shift();
    if (scripted) {
      res.writeHead(scripted.status, { 'content-type': 'application/json', ...(scripted.headers ?? {}) }).end(scripted.body ?? '{}');
      return;
    }
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (q.method !== 'flickr.photos.search') {
      json({ stat: 'fail', code: 112, message: `Method "${q.method}" not found` });
      return;
    }
    if (q.api_key !== GOOD_KEY) {
      json({ stat: 'fail', code: 100, message: 'Invalid API Key (Key has invalid format)' });
      return;
    }
    if (q.format !== 'json' || q.nojsoncallback !== '1') {
      json({ stat: 'fail', code: 111, message: 'Format "xml" not found' });
      return;
    }
    const text = (q.text ?? '').toLowerCase();
    let matches = photos.filter((p) => text !== '' && p.text.toLowerCase().includes(text));
    if (q.min_upload_date) matches = matches.filter((p) => p.dateupload >= Number(q.min_upload_date));
    if (q.max_upload_date) matches = matches.filter((p) => p.dateupload <= Number(q.max_upload_date));
    if (q.min_taken_date) matches = matches.filter((p) => p.datetaken >= (q.min_taken_date as string));
    if (q.max_taken_date) matches = matches.filter((p) => p.datetaken <= (q.max_taken_date as string));
    if (q.sort === 'date-posted-asc') matches.sort((a, b) => a.dateupload - b.dateupload || a.id.localeCompare(b.id));
    else matches.sort((a, b) => b.dateupload - a.dateupload || a.id.localeCompare(b.id));
    const perpage = Math.min(500, Number(q.per_page ?? 100));
    const page = Math.max(1, Number(q.page ?? 1));
    const pages = Math.ceil(matches.length / perpage);
    const extras = new Set((q.extras ?? '').split(','));
    const photo = matches.slice((page - 1) * perpage, page * perpage).map((p) => {
      const out: Record<string, unknown> = {
        id: p.id,
        owner: '12345678@N00',
        secret: 'abcdef0123',
        server: '65535',
        farm: 66,
        title: p.text,
        ispublic: 1,
        isfriend: 0,
        isfamily: 0,
      };
      if (extras.has('license')) out.license = '4';
      if (extras.has('date_upload')) out.dateupload = String(p.dateupload);
      if (extras.has('date_taken')) Object.assign(out, { datetaken: p.datetaken, datetakengranularity: '0', datetakenunknown: '0' });
      if (extras.has('owner_name')) out.ownername = 'someone';
      for (const [size, dims] of Object.entries(p.sizes)) {
        if (!extras.has(`url_${size}`) || !dims) continue;
        out[`url_${size}`] = `${base}img/${p.id}_${size}.jpg`;
        out[`height_${size}`] = dims[1];
        out[`width_${size}`] = dims[0];
      }
      return out;
    });
    json({ photos: { page, pages, perpage, total: String(matches.length), photo }, stat: 'ok' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}/`;
  return {
    restUrl: `${base}services/rest/`,
    imageBase: `${base}img/`,
    get requests() {
      return state.requests;
    },
    get requestTimes() {
      return state.requestTimes;
    },
    get script() {
      return state.script;
    },
    set script(s: Scripted[]) {
      state.script = s;
    },
    get images() {
      return state.images;
    },
    get imageRequests() {
      return state.imageRequests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `n` photos matching `word`, uploaded one day apart from `startDay` (UTC, "YYYY-MM-DD"), taken the day before. */
export function photosFor(word: string, n: number, startDay: string, idBase: number): FakePhoto[] {
  const start = Date.parse(`${startDay}T12:00:00Z`) / 1000;
  return Array.from({ length: n }, (_, i) => {
    const up = start + i * 86400;
    const taken = new Date((up - 86400) * 1000).toISOString().slice(0, 19).replace('T', ' ');
    return {
      id: String(idBase + i),
      text: `${word} photo ${i}`,
      dateupload: up,
      datetaken: taken,
      sizes: { o: [1200, 900], l: [1024, 768], c: [800, 600], z: [640, 480] },
    };
  });
}
