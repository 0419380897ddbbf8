import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassDef } from '../../src/classes/index.ts';
import { FlickrClient, flickrSource, largestUrl, parseDateWindow, queriesForClass, splitQuota, type Candidate } from '../../src/collect/index.ts';
import { RateLimiter, parseRetryAfter } from '../../src/core/http.ts';
import { RetestError } from '../../src/core/errors.ts';
import { GOOD_KEY, photosFor, startFakeFlickr, type FakeFlickr } from './fake-flickr.ts';

const noSleep = async () => {};
const klass = (index: number, id: string, names: string[], extra: Partial<ClassDef> = {}): ClassDef => ({
  index,
  id,
  names,
  definition: '',
  urls: [],
  hypernyms: [],
  similar: [],
  ...extra,
});

async function collect(source: ReturnType<typeof flickrSource>) {
  const failures: unknown[] = [];
  const out: Candidate[] = [];
  for await (const c of source.candidates({ onFailure: (f) => failures.push(f) })) out.push(c);
  return { out, failures };
}

describe('splitQuota and queriesForClass', () => {
  it('gives each query floor(quota / queries) and drops the remainder, as the authors did', () => {
    expect(splitQuota(200, 3)).toEqual([66, 66, 66]);
    expect(splitQuota(10, 5)).toEqual([2, 2, 2, 2, 2]);
    expect(splitQuota(2, 3)).toEqual([0, 0, 0]);
    expect(splitQuota(1400, 6)).toEqual([233, 233, 233, 233, 233, 233]);
    expect(splitQuota(5, 0)).toEqual([]);
  });
  it("'first' gives the remainder to the first query (not the authors' rule)", () => {
    expect(splitQuota(200, 3, 'first')).toEqual([68, 66, 66]);
    expect(splitQuota(2, 3, 'first')).toEqual([2, 0, 0]);
  });

  it("makes one query per lemma, with the authors' options", () => {
    const crane = klass(0, 'n02012849', ['crane'], {
      definition: 'large long-necked wading bird of marshes and plains',
      hypernymNames: ['wading bird', 'wader'],
    });
    expect(queriesForClass(crane)).toEqual(['crane']);
    expect(queriesForClass(crane, { appendHypernym: true })).toEqual(['crane wading bird']);
    const shark = klass(1, 'n01484850', ['great white shark', 'man-eater', 'Great White Shark']);
    expect(queriesForClass(shark)).toEqual(['great white shark', 'man-eater']);
    expect(queriesForClass(shark, { concatenateCompounds: true })).toEqual(['great white shark', 'greatwhiteshark', 'man-eater', 'maneater']);
    expect(queriesForClass(shark, { overrides: { n01484850: ['white shark ocean'] } })).toEqual(['white shark ocean']);
  });
});

describe('largestUrl', () => {
  it('picks the largest size by pixel count, else by order o > l > c > z', () => {
    expect(largestUrl({ id: '1', url_l: 'L', width_l: 1024, height_l: 768, url_o: 'O', width_o: 3000, height_o: 2000 })?.url).toBe('O');
    expect(largestUrl({ id: '1', url_z: 'Z', url_c: 'C' })?.url).toBe('C');
    expect(largestUrl({ id: '1', url_z: 'Z', width_z: 640, height_z: 480, url_c: 'C', width_c: 800, height_c: 600 })).toEqual({
      url: 'C',
      size: 'c',
      width: 800,
      height: 600,
    });
    expect(largestUrl({ id: '1' })).toBeUndefined();
  });
});

describe('retry and rate helpers', () => {
  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('spaces requests 1/rate apart', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      4,
      async (ms) => {
        waits.push(ms);
        clock += ms;
      },
      () => clock,
    );
    for (let i = 0; i < 4; i++) await limiter.acquire();
    expect(waits).toEqual([250, 250, 250]);
  });
});

describe('Flickr client against a local fake Flickr', () => {
  let flickr: FakeFlickr;
  const tench = photosFor('tench', 30, '2012-06-01', 1000); // 2012-06-01 … 2012-06-30: before the window
  const late = photosFor('tench', 250, '2012-07-11', 2000); // from 2012-07-11: 250 days inside the window
  const tinca = photosFor('tinca tinca', 7, '2012-08-01', 5000);
  const goldfish = photosFor('goldfish', 3, '2013-08-01', 7000); // after the window
  beforeAll(async () => {
    flickr = await startFakeFlickr([...tench, ...late, ...tinca, ...goldfish]);
  });
  afterAll(() => flickr.close());
  const client = (options: Partial<ConstructorParameters<typeof FlickrClient>[0]> = {}) =>
    new FlickrClient({ apiKey: GOOD_KEY, baseUrl: flickr.restUrl, requestsPerSecond: 1000, sleep: noSleep, backoffMs: 1, ...options });

  it("sends Flickr's real parameters: method, key, json, text, dates, sort, extras, paging", async () => {
    flickr.requests.length = 0;
    await client().search({
      text: 'tench',
      perPage: 10,
      page: 2,
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
      taken: parseDateWindow('2012-01-01..2013-12-31', 't'),
    });
    expect(flickr.requests[0]).toEqual({
      method: 'flickr.photos.search',
      api_key: GOOD_KEY,
      format: 'json',
      nojsoncallback: '1',
      text: 'tench',
      min_upload_date: String(Date.parse('2012-07-11T00:00:00Z') / 1000),
      max_upload_date: String(Date.parse('2013-07-11T23:59:59Z') / 1000),
      min_taken_date: '2012-01-01 00:00:00',
      max_taken_date: '2013-12-31 23:59:59',
      sort: 'date-posted-asc',
      media: 'photos',
      content_type: '1',
      extras: 'url_o,url_l,url_c,url_z,date_upload,date_taken,owner_name,license',
      per_page: '10',
      page: '2',
    });
  });

  it('paginates oldest first within the upload window until the quota is met', async () => {
    flickr.requests.length = 0;
    const source = flickrSource({
      client: client(),
      classes: [klass(0, 'n01440764', ['tench'])],
      perClass: 25,
      perPage: 10,
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
    });
    const { out } = await collect(source);
    expect(out.map((c) => c.sourceId)).toEqual(late.slice(0, 25).map((p) => p.id));
    expect(flickr.requests.map((r) => r.page)).toEqual(['1', '2', '3']);
    expect(out[0]).toEqual({
      source: 'flickr',
      sourceId: '2000',
      classIdx: 0,
      keyword: 'tench',
      url: `${flickr.imageBase}2000_o.jpg`,
      uploadedAt: '2012-07-11T12:00:00.000Z',
      takenAt: '2012-07-10T12:00:00',
    });
  });

  it('stops when the pages run out, and respects the taken-date window', async () => {
    flickr.requests.length = 0;
    const source = flickrSource({
      client: client(),
      classes: [klass(0, 'x', ['tench'])],
      perClass: 1000,
      perPage: 100,
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
      taken: parseDateWindow('2012-07-10..2012-07-19', 't'),
    });
    const { out } = await collect(source);
    expect(out.map((c) => c.sourceId)).toEqual(late.slice(0, 10).map((p) => p.id));
    expect(flickr.requests).toHaveLength(1);
  });

  it('excludes photos uploaded before or after the window', async () => {
    const source = flickrSource({
      client: client(),
      classes: [klass(0, 'x', ['goldfish', 'tench'])],
      perClass: 400,
      perPage: 500,
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
    });
    const ids = (await collect(source)).out.map((c) => Number(c.sourceId));
    expect(ids.every((id) => id >= 2000 && id < 2250)).toBe(true);
    expect(ids).toHaveLength(200); // goldfish's half of the quota finds nothing in the window; it is not moved to tench
  });

  it('splits the quota over the lemmas (floor each, remainder dropped) and tops up nothing it cannot find', async () => {
    flickr.requests.length = 0;
    const source = flickrSource({
      client: client(),
      classes: [klass(0, 'n01440764', ['tench', 'Tinca tinca'])],
      perClass: 21,
      perPage: 100,
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
    });
    const { out } = await collect(source);
    expect(out.filter((c) => c.keyword === 'tench')).toHaveLength(10);
    expect(out.filter((c) => c.keyword === 'Tinca tinca')).toHaveLength(7); // only 7 exist
    expect(flickr.requests.map((r) => r.text)).toEqual(['tench', 'Tinca tinca']);
    const first = flickrSource({
      client: client(),
      classes: [klass(0, 'n01440764', ['tench', 'Tinca tinca'])],
      perClass: 21,
      perPage: 100,
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
      quotaRemainder: 'first',
    });
    expect((await collect(first)).out.filter((c) => c.keyword === 'tench')).toHaveLength(11);
  });

  it('widens the upload window for a query that ran short, without repeating photos', async () => {
    const source = flickrSource({
      client: client(),
      classes: [klass(0, 'x', ['goldfish'])],
      perClass: 5,
      perPage: 100,
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
      widenUploaded: [parseDateWindow('2013-07-12..2014-07-11', 'w')],
    });
    expect((await collect(source)).out.map((c) => c.sourceId)).toEqual(['7000', '7001', '7002']);
  });

  it("can filter the taken date by the upload window, widened with it (the authors' default)", async () => {
    flickr.requests.length = 0;
    const source = flickrSource({
      client: client(),
      classes: [klass(0, 'x', ['goldfish'])],
      perClass: 5,
      taken: 'uploaded',
      uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u'),
      widenUploaded: [parseDateWindow('2013-07-12..2014-07-11', 'w')],
    });
    expect((await collect(source)).out.map((c) => c.sourceId)).toEqual(['7000', '7001', '7002']);
    expect(flickr.requests.map((r) => [r.min_taken_date, r.max_taken_date])).toEqual([
      ['2012-07-11 00:00:00', '2013-07-11 23:59:59'],
      ['2013-07-12 00:00:00', '2014-07-11 23:59:59'],
    ]);
  });

  it('searches classes in the order given and tags each candidate with its class', async () => {
    const classes = [klass(0, 'a', ['tench']), klass(1, 'b', ['tinca tinca'])];
    const source = flickrSource({ client: client(), classes, classIndices: [1, 0], perClass: 2, uploaded: parseDateWindow('2012-07-11..2013-07-11', 'u') });
    expect(source.expected).toBe(4);
    const { out } = await collect(source);
    expect(out.map((c) => [c.classIdx, c.sourceId])).toEqual([
      [1, '5000'],
      [1, '5001'],
      [0, '2000'],
      [0, '2001'],
    ]);
  });

  it('retries 5xx and 429 with exponential backoff, honouring Retry-After', async () => {
    flickr.requests.length = 0;
    flickr.script = [{ status: 503 }, { status: 502 }, { status: 429, headers: { 'retry-after': '7' } }, { status: 500 }];
    const waits: { attempt: number; waitMs: number; reason: string }[] = [];
    const sleeps: number[] = [];
    const c = client({
      backoffMs: 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onRetry: (r) => waits.push(r),
    });
    const page = await c.search({ text: 'tench', perPage: 5, page: 1 });
    expect(page.photos).toHaveLength(5);
    expect(flickr.requests).toHaveLength(5);
    expect(waits.map((w) => [w.reason, w.waitMs])).toEqual([
      ['HTTP 503', 100],
      ['HTTP 502', 200],
      ['HTTP 429', 7000],
      ['HTTP 500', 800],
    ]);
    expect(sleeps.filter((ms) => ms >= 100)).toEqual([100, 200, 7000, 800]);
  });

  it('retries a request that timed out or failed on the network', async () => {
    let calls = 0;
    const flaky: typeof fetch = (input, init) => {
      calls++;
      if (calls === 1) return Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      if (calls === 2) return Promise.reject(new TypeError('fetch failed'));
      return fetch(input, init);
    };
    const reasons: string[] = [];
    const page = await client({ fetch: flaky, onRetry: (r) => reasons.push(r.reason) }).search({ text: 'tench', perPage: 2, page: 1 });
    expect(page.photos).toHaveLength(2);
    expect(reasons).toEqual(['The operation was aborted due to timeout', 'fetch failed']);
  });

  it('gives up after the last retry with an io error naming the status', async () => {
    flickr.script = [{ status: 503 }, { status: 503 }, { status: 503 }];
    const err = (await client({ retries: 2 })
      .search({ text: 'tench', perPage: 5, page: 1 })
      .catch((e: unknown) => e)) as RetestError;
    expect(err).toBeInstanceOf(RetestError);
    expect(err.kind).toBe('io');
    expect(err.message).toBe('Flickr answered HTTP 503 after 2 retries');
    expect(err.file).not.toContain(GOOD_KEY);
  });

  it('turns a bad key into a clear usage error, without retrying and without leaking the key', async () => {
    flickr.requests.length = 0;
    const source = flickrSource({ client: client({ apiKey: 'not-a-key' }), classes: [klass(0, 'x', ['tench'])], perClass: 5 });
    const err = (await collect(source).catch((e: unknown) => e)) as RetestError;
    expect(err).toBeInstanceOf(RetestError);
    expect(err.kind).toBe('usage');
    expect(err.message).toBe('Flickr error 100: Invalid API Key (Key has invalid format)');
    expect(err.field).toBe('FLICKR_API_KEY');
    expect(err.file).toMatch(/api_key=\[token\]/);
    expect(flickr.requests).toHaveLength(1);
  });

  it('refuses to start without a key', () => {
    expect(() => new FlickrClient({ apiKey: '' })).toThrow(/no Flickr API key/);
  });

  it('retries Flickr\'s "service unavailable" error answer (code 105)', async () => {
    flickr.script = [{ status: 200, body: JSON.stringify({ stat: 'fail', code: 105, message: 'Service currently unavailable' }) }];
    const page = await client().search({ text: 'tench', perPage: 3, page: 1 });
    expect(page.photos).toHaveLength(3);
  });

  it('reports an answer of the wrong shape with every problem, naming the (redacted) URL', async () => {
    flickr.script = [{ status: 200, body: JSON.stringify({ stat: 'ok', photos: { page: 1, pages: 'x', photo: [{ id: null }] } }) }];
    const err = await client()
      .search({ text: 'tench', perPage: 3, page: 1 })
      .then(
        () => null,
        (e: unknown) => e as RetestError,
      );
    expect(err).toBeInstanceOf(RetestError);
    expect(err!.kind).toBe('io');
    expect(err!.file).toMatch(/api_key=\[token\]/);
    expect(err!.message).toMatch(/^\d+ problems in the Flickr answer: /);
    expect(err!.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['photos.pages', 'photos.perpage', 'photos.total', 'photos.photo[0].id']));
    flickr.script = [{ status: 200, body: 'jsonFlickrApi({})' }];
    await expect(client().search({ text: 'tench', perPage: 3, page: 1 })).rejects.toThrow('the Flickr answer: not valid JSON');
  });

  it('records photos without any downloadable size as failures and keeps filling the quota', async () => {
    const bare = { id: '9000', text: 'bare thing', dateupload: 1350000000, datetaken: '2012-10-10 10:00:00', sizes: {} };
    const ok = photosFor('bare', 2, '2012-10-20', 9100);
    const local = await startFakeFlickr([bare, ...ok]);
    try {
      const source = flickrSource({
        client: new FlickrClient({ apiKey: GOOD_KEY, baseUrl: local.restUrl, requestsPerSecond: 1000, sleep: noSleep }),
        classes: [klass(0, 'x', ['bare'])],
        perClass: 2,
      });
      const { out, failures } = await collect(source);
      expect(out.map((c) => c.sourceId)).toEqual(['9100', '9101']);
      expect(failures).toEqual([
        expect.objectContaining({ source: 'flickr', sourceId: '9000', classIdx: 0, reason: expect.stringMatching(/no downloadable size/) }),
      ]);
    } finally {
      await local.close();
    }
  });

  it('keeps to the request rate in real time', async () => {
    const times: number[] = [];
    const timedFetch: typeof fetch = (input, init) => {
      times.push(performance.now());
      return fetch(input, init);
    };
    const c = new FlickrClient({ apiKey: GOOD_KEY, baseUrl: flickr.restUrl, requestsPerSecond: 20, fetch: timedFetch });
    const start = performance.now();
    await Promise.all([1, 2, 3, 4].map((page) => c.search({ text: 'tench', perPage: 1, page })));
    expect(times).toHaveLength(4);
    // Request i's slot is i · 50 ms after the first acquire, which is after `start`; it cannot start
    // earlier (2 ms for the limiter's whole-millisecond clock), however late a loaded machine runs it.
    for (let i = 1; i < 4; i++) expect(times[i]! - start).toBeGreaterThanOrEqual(i * 50 - 2);
  });
});
