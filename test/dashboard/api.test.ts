/**
 * The dashboard's JSON API against a real store (SQLite, and every server
 * database whose URL is set): shapes, paging, both forms of a job's path,
 * downloads, and the statuses of unknown routes, unknown jobs and bad ids.
 */
import { failedRecordsCsv } from '../../src/export/failedRecords';
import { DATABASES, freshStore } from '../helpers/databases';
import { seedJob, serve, XSS_FIELD, type Served } from './support';

const ODD_ID = 'imports/2024 "Q1" ?&#%';

describe.each(DATABASES.map((db) => [db.name, db] as const))('dashboard API on %s', (_name, db) => {
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let served: Served;
  const get = async (path: string): Promise<{ status: number; body: any; headers: Headers }> => {
    const res = await fetch(`${served.url}${path}`);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body, headers: res.headers };
  };
  const byId = (id: string, sub = ''): string => `/api/jobs/${encodeURIComponent(id)}${sub}`;

  beforeAll(async () => {
    fresh = await freshStore(db);
    await seedJob(fresh.store, 'older', { batches: 3, completed: 1, held: 0 });
    await seedJob(fresh.store, ODD_ID, { batches: 6, completed: 2, held: 1 });
    served = await serve(fresh.store, { metrics: false });
  });
  afterAll(async () => {
    await served.close();
    await fresh.drop();
  });

  test('GET /api/jobs: newest first, paged, with progress, batch counts and throughput', async () => {
    const { status, body, headers } = await get('/api/jobs');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toMatchObject({ total: 2, offset: 0, limit: 25 });
    expect(body.jobs.map((j: { id: string }) => j.id)).toEqual([ODD_ID, 'older']);
    const job = body.jobs[0];
    expect(job).toMatchObject({
      status: 'PROCESSING', distributed: true, totalRecords: 24,
      batches: { total: 6, pending: 3, processing: 1, completed: 2, failed: 0 },
      progress: await fresh.store.getProgress(ODD_ID).then((p) => ({ ...p, elapsedMs: expect.any(Number), estimatedRemainingMs: expect.any(Number) })),
    });
    expect(typeof job.throughput).toBe('number');
    const page = await get('/api/jobs?offset=1&limit=1');
    expect(page.body).toMatchObject({ total: 2, offset: 1, limit: 1, jobs: [{ id: 'older' }] });
    expect((await get('/api/jobs?status=COMPLETED')).body).toMatchObject({ total: 0, jobs: [] });
  });

  test('GET /api/jobs/:id and /api/job?id=: the job without its batches, its progress', async () => {
    const a = await get(byId(ODD_ID));
    const b = await get(`/api/job?id=${encodeURIComponent(ODD_ID)}`);
    expect(a.status).toBe(200);
    expect(a.body.job).toEqual(b.body.job);
    expect(a.body.job).toMatchObject({ id: ODD_ID, status: 'PROCESSING', distributed: true, config: { batchSize: 4, continueOnError: true } });
    expect(a.body.job.batches).toBeUndefined();
    expect(a.body).toMatchObject({ terminal: false, progress: { processedRecords: 6, failedRecords: 2, totalBatches: 6, currentBatch: 2 } });
  });

  test('GET batches: full details with lease ages, and the page\'s map with workers and throughput', async () => {
    const full = await get(byId(ODD_ID, '/batches'));
    expect(full.status).toBe(200);
    expect(full.body.batches).toHaveLength(6);
    const held = full.body.batches.find((x: { status: string }) => x.status === 'PROCESSING');
    expect(held).toMatchObject({ workerId: 'w-held', stale: false, leaseAgeMs: expect.any(Number), claimedAt: expect.any(Number) });
    const map = (await get(`${byId(ODD_ID, '/batches')}?view=map`)).body;
    expect(map.rows).toHaveLength(6);
    expect(map.columns[0]).toBe('index');
    expect(map.counts).toMatchObject({ PENDING: 3, PROCESSING: 1, COMPLETED: 2, STALE: 0 });
    expect(map.workers).toEqual([expect.objectContaining({ workerId: 'w-held', stale: false, batches: [expect.objectContaining({ index: 2 })] })]);
    expect(map.workerIds).toContain('w-held');
    expect(map.throughput.rate.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(0);
  });

  test('GET failed: a page of failed records with their errors and raw values; CSV and JSON downloads', async () => {
    const page = await get(`${byId(ODD_ID, '/failed')}?offset=1&limit=1`);
    expect(page.body).toMatchObject({ total: 2, offset: 1, limit: 1 });
    expect(page.body.records).toEqual([expect.objectContaining({
      index: 4, status: 'failed', raw: expect.objectContaining({ name: XSS_FIELD }),
      errors: [expect.objectContaining({ field: 'name', code: 'PATTERN_MISMATCH' })],
    })]);
    const csv = await fetch(`${served.url}${byId(ODD_ID, '/failed.csv')}`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="failed-records-imports_2024_Q1_.csv"');
    expect(await csv.text()).toBe(failedRecordsCsv(await fresh.store.getFailedRecords(ODD_ID)));
    const json = await get(`/api/job/failed.json?id=${encodeURIComponent(ODD_ID)}`);
    expect(json.body.map((r: { index: number }) => r.index)).toEqual([0, 4]);
  });

  test('unknown routes and jobs are 404, bad ids and parameters 400', async () => {
    for (const path of ['/nope', '/api/nope', '/api/jobs/x/nope', '/assets/nope.js', byId('missing'), byId('missing', '/batches'),
      byId('missing', '/failed'), byId('missing', '/failed.csv')]) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, 404]);
      if (path.startsWith('/api/')) expect(typeof r.body.error).toBe('string');
    }
    for (const path of ['/api/job?id=', byId('x'.repeat(256)), '/api/jobs/%E0%A4%A', '/api/jobs?offset=-1', '/api/jobs?limit=abc',
      '/api/jobs?limit=5000', '/api/jobs?status=BOGUS', `${byId(ODD_ID, '/batches')}?view=x`, '/job?id=', `/job?id=${'y'.repeat(300)}`]) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, 400]);
    }
  });
});
