/**
 * The dashboard as an HTTP citizen (SQLite): security headers, pages that
 * carry no data, a database that is down (503, the server keeps answering),
 * actions and their guards, and mounting under a base path in plain http
 * and Express.
 */
import express from 'express';
import { Sequelize } from 'sequelize';
import { SequelizeStateStore } from '../../src';
import { createDashboard } from '../../src/dashboard';
import { DATABASES, freshStore } from '../helpers/databases';
import { listen, seedJob, serve, TOKEN, XSS_JOB, type Served } from './support';

const sqlite = DATABASES[0]!;

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

let fresh: Awaited<ReturnType<typeof freshStore>>;
beforeAll(async () => {
  fresh = await freshStore(sqlite);
  await seedJob(fresh.store, XSS_JOB, { batches: 4, completed: 1, held: 1 });
});
afterAll(() => fresh.drop());

describe('headers and pages', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(fresh.store, { metrics: false });
  });
  afterAll(() => served.close());

  test('every answer has the CSP without unsafe-inline and nosniff; the API is never cached', async () => {
    for (const path of ['/', `/job?id=${encodeURIComponent(XSS_JOB)}`, '/assets/job.js', '/assets/uPlot.iife.min.js', '/api/jobs', '/nope']) {
      const { headers } = await call(`${served.url}${path}`);
      const csp = headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await call(`${served.url}/api/jobs`)).headers.get('cache-control')).toBe('no-store');
    expect((await call(`${served.url}/assets/common.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  test('pages are shells: no job data, no inline script', async () => {
    const page = (await call(`${served.url}/job?id=${encodeURIComponent(XSS_JOB)}`)).body as string;
    expect(page).not.toContain('pwned');
    expect(page).not.toMatch(/<script>(?!<)/);
    expect(page.match(/<script[^>]*>/g)?.every((tag) => / src="assets\/[\w.]+"/.test(tag))).toBe(true);
    expect(page).not.toMatch(/\son[a-z]+=/i);
  });

  test('an asset answers 304 to its ETag', async () => {
    const first = await call(`${served.url}/assets/common.js`);
    const again = await call(`${served.url}/assets/common.js`, { headers: { 'If-None-Match': first.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });
});

describe('a database that is down', () => {
  test('503 with a one-line message, and the server keeps answering', async () => {
    const down = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
    const store = new SequelizeStateStore(down);
    await store.initialize();
    const served = await serve(store);
    try {
      await down.close();
      for (const path of ['/api/jobs', '/api/jobs/x', '/api/jobs/x/batches', '/api/jobs/x/failed', '/metrics']) {
        const r = await call(`${served.url}${path}`);
        expect([path, r.status]).toEqual([path, 503]);
        const message = typeof r.body === 'string' ? r.body.trim() : r.body.error;
        expect(message).toMatch(/^database unavailable: /);
        expect(message).not.toContain('\n');
      }
      expect((await call(`${served.url}/`)).status).toBe(200);
    } finally {
      await served.close();
    }
  });

  test('a PostgreSQL server that refuses connections is 503 too', async () => {
    const refused = new Sequelize('postgres://nobody@127.0.0.1:1/none', { logging: false, pool: { max: 1, acquire: 5000 } });
    const served = await serve(new SequelizeStateStore(refused, { transientRetries: 0 }), { metrics: false });
    try {
      const r = await call(`${served.url}/api/jobs`);
      expect(r.status).toBe(503);
      expect(r.body.error).toMatch(/^database unavailable: .*ECONNREFUSED|^database unavailable: /);
      expect((await call(`${served.url}/assets/common.js`)).status).toBe(200);
    } finally {
      await served.close();
      await refused.close();
    }
  });
});

describe('actions', () => {
  const jobId = 'actions-job';
  let readOnly: Served;
  let armed: Served;
  /** A POST (by default) from the dashboard's origin; a header given as '' is left out. */
  const action = (served: Served, path: string, headers: Record<string, string> = {}, method = 'POST') => {
    const all = Object.fromEntries(Object.entries({ Origin: served.url, ...headers }).filter(([, v]) => v !== ''));
    return call(`${served.url}/api/jobs/${encodeURIComponent(jobId)}/${path}`, { method, headers: all });
  };

  beforeAll(async () => {
    await seedJob(fresh.store, jobId, { batches: 5, completed: 1, held: 2 });
    readOnly = await serve(fresh.store, { metrics: false });
    armed = await serve(fresh.store, { metrics: false, actions: { token: TOKEN }, staleAfterMs: 100 });
  });
  afterAll(async () => {
    await readOnly.close();
    await armed.close();
  });

  test('refused: actions off, GET, no token, a wrong token, another origin', async () => {
    expect((await action(readOnly, 'reclaim', { 'X-Dashboard-Token': TOKEN })).status).toBe(403);
    expect((await action(armed, 'reclaim', { 'X-Dashboard-Token': TOKEN }, 'GET')).status).toBe(405);
    expect((await action(armed, 'reclaim')).status).toBe(401);
    expect((await action(armed, 'reclaim', { 'X-Dashboard-Token': `${TOKEN}x` })).status).toBe(401);
    expect((await action(armed, 'reclaim', { Authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    expect((await action(armed, 'reclaim', { 'X-Dashboard-Token': TOKEN, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await action(armed, 'reclaim', { 'X-Dashboard-Token': TOKEN, Origin: '', 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await fresh.store.listBatches(jobId)).filter((b) => b.status === 'PROCESSING')).toHaveLength(2);
  });

  test('allowed with the token: release one batch, reclaim the stale, purge only a finished job', async () => {
    const held = (await fresh.store.listBatches(jobId)).filter((b) => b.status === 'PROCESSING');
    const release = `batches/${encodeURIComponent(held[0]!.id)}/release?workerId=w-held`;
    expect(await action(armed, release, { 'X-Dashboard-Token': TOKEN })).toMatchObject({ status: 200, body: { released: true } });
    expect((await action(armed, release, { 'X-Dashboard-Token': TOKEN })).status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await action(armed, 'reclaim', { Authorization: `Bearer ${TOKEN}` })).toMatchObject({ status: 200, body: { reclaimed: 1 } });
    expect((await fresh.store.listBatches(jobId)).filter((b) => b.status === 'PROCESSING')).toHaveLength(0);
    expect((await action(armed, 'purge', { 'X-Dashboard-Token': TOKEN })).status).toBe(409);
    const state = await fresh.store.getJobState(jobId);
    await fresh.store.saveJobState({ ...state!, status: 'ABORTED' });
    expect(await action(armed, 'purge', { 'X-Dashboard-Token': TOKEN })).toMatchObject({ status: 200, body: { deleted: true } });
    expect((await call(`${armed.url}/api/jobs/${jobId}`)).status).toBe(404);
  });
});

describe('mounting under a base path', () => {
  test('plain http with basePath', async () => {
    const handler = createDashboard(fresh.store, { basePath: '/imports/', metrics: false });
    const served = await listen((req, res) => handler(req, res), handler);
    try {
      expect((await call(`${served.url}/imports/`)).status).toBe(200);
      expect(await call(`${served.url}/imports`)).toMatchObject({ status: 308 });
      expect((await call(`${served.url}/imports`)).headers.get('location')).toBe('./imports/');
      expect((await call(`${served.url}/imports/api/jobs`)).body.total).toBeGreaterThan(0);
      expect((await call(`${served.url}/imports/assets/job.js`)).status).toBe(200);
      for (const path of ['/', '/api/jobs', '/importsx/api/jobs']) expect((await call(`${served.url}${path}`)).status).toBe(404);
    } finally {
      await served.close();
    }
  });

  test('Express: app.use(path, handler), with or without basePath, next() for the rest', async () => {
    const app = express();
    const mounted = createDashboard(fresh.store, { metrics: false });
    const both = createDashboard(fresh.store, { basePath: '/both', metrics: false });
    const unmounted = createDashboard(fresh.store, { basePath: '/own', metrics: false });
    app.use('/imports', mounted);
    app.use('/both', both);
    app.use(unmounted);
    app.get('/health', (_req, res) => { res.send('ok'); });
    const served = await listen(app);
    try {
      for (const base of ['/imports', '/both', '/own']) {
        const page = await call(`${served.url}${base}/`);
        expect([base, page.status, page.headers.get('content-type')]).toEqual([base, 200, 'text/html; charset=utf-8']);
        expect((await call(`${served.url}${base}`)).headers.get('location')).toBe(`.${base}/`);
        const jobs = await call(`${served.url}${base}/api/jobs?limit=1`);
        expect([base, jobs.body.limit]).toEqual([base, 1]);
        expect((await call(`${served.url}${base}/api/job?id=${encodeURIComponent(XSS_JOB)}`)).body.job.id).toBe(XSS_JOB);
        expect((await call(`${served.url}${base}/assets/uPlot.min.css`)).status).toBe(200);
        expect((await call(`${served.url}${base}/nope`)).status).toBe(404);
      }
      expect((await call(`${served.url}/health`)).body).toBe('ok');
    } finally {
      mounted.close();
      both.close();
      unmounted.close();
      await served.close();
    }
  });
});
