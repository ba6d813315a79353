/** The dashboard's pure parts: options, URL handling, the batch map, workers and throughput. */
import type { BatchDetail } from '../../src';
import { createDashboard } from '../../src/dashboard';
import { targetOf } from '../../src/dashboard/handler';
import { resolveDashboardOptions } from '../../src/dashboard/options';
import { escapeHtml } from '../../src/dashboard/pages';
import { batchMap, throughputSeries, workersOf } from '../../src/dashboard/views';

const batch = (index: number, over: Partial<BatchDetail> = {}): BatchDetail => ({
  id: `b${index}`, index, status: 'PENDING', processedCount: 0, failedCount: 0, version: 0, ...over,
});

test('options: defaults, and bad values named', () => {
  expect(resolveDashboardOptions()).toMatchObject({
    basePath: '', token: undefined, staleAfterMs: 60_000, refreshMs: 2000, pageSize: 25, metrics: 'auto', metricsPrefix: 'bulkimport_',
  });
  expect(resolveDashboardOptions({ basePath: '/imports/', metrics: false }).basePath).toBe('/imports');
  expect(() => resolveDashboardOptions({ actions: { token: 'short' } })).toThrow(/actions\.token/);
  expect(() => resolveDashboardOptions({ refreshMs: 5000 })).toThrow(/refreshMs/);
  expect(() => resolveDashboardOptions({ basePath: 'imports' })).toThrow(/basePath/);
  expect(() => resolveDashboardOptions({ allowedOrigins: ['not a url'] })).toThrow(/allowedOrigins/);
  expect(() => createDashboard({} as never)).toThrow(/SequelizeStateStore/);
});

test('targetOf: basePath in the URL, or stripped by a framework (originalUrl)', () => {
  const req = (url: string, originalUrl?: string) => ({ url, ...(originalUrl ? { originalUrl } : {}) }) as never;
  expect(targetOf(req('/imports/api/jobs?limit=1'), '/imports')).toMatchObject({ path: '/api/jobs', fullPath: '/imports/api/jobs' });
  expect(targetOf(req('/imports'), '/imports')).toMatchObject({ path: '/', fullPath: '/imports' });
  expect(targetOf(req('/other'), '/imports')).toBeUndefined();
  expect(targetOf(req('/api/jobs', '/imports/api/jobs'), '/imports')).toMatchObject({ path: '/api/jobs' });
  expect(targetOf(req('/', '/imports'), '')).toMatchObject({ path: '/', fullPath: '/imports' });
  expect(targetOf(req('/x?id=a%2Fb'), '')?.query.get('id')).toBe('a/b');
});

test('escapeHtml escapes markup and quotes', () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
});

test('workers: held batches by worker, lease ages from the last renewal, stale ones flagged', () => {
  const batches = [
    batch(0, { status: 'COMPLETED', finishedAt: 1000 }),
    batch(1, { status: 'PROCESSING', workerId: 'w2', claimedAt: 1000, renewedAt: 9500 }),
    batch(2, { status: 'PROCESSING', workerId: 'w1', claimedAt: 2000 }),
    batch(3, { status: 'PROCESSING', workerId: 'w1', claimedAt: 8000 }),
  ];
  expect(workersOf(batches, 10_000, 5000)).toEqual([
    { workerId: 'w1', since: 2000, lastRenewal: 8000, stale: true, batches: [
      { id: 'b2', index: 2, claimedAt: 2000, leaseAgeMs: 8000, stale: true },
      { id: 'b3', index: 3, claimedAt: 8000, leaseAgeMs: 2000, stale: false },
    ] },
    { workerId: 'w2', since: 1000, lastRenewal: 9500, stale: false, batches: [
      { id: 'b1', index: 1, claimedAt: 1000, renewedAt: 9500, leaseAgeMs: 500, stale: false },
    ] },
  ]);
  const map = batchMap(batches, { now: 10_000, staleAfterMs: 5000, running: true });
  expect(map.counts).toMatchObject({ PENDING: 0, PROCESSING: 3, COMPLETED: 1, STALE: 1 });
  expect(map.rows[2]).toEqual([2, 1, 0, 0, map.workerIds.indexOf('w1'), 2000, null, null, null, null, 1]);
});

test('throughput: records of each batch at its finish time, in at most 120 buckets', () => {
  const batches = [0, 1, 2, 3].map((i) => batch(i, { status: 'COMPLETED', processedCount: 90, failedCount: 10, finishedAt: 10_000 + i * 1000 }));
  const s = throughputSeries(batches, { from: 10_000, now: 20_000, running: false });
  expect(s).toEqual({ bucketMs: 1000, t: [10_000, 11_000, 12_000, 13_000], rate: [100, 100, 100, 100] });
  const long = throughputSeries(batches, { from: 0, now: 3_600_000, running: true });
  expect(long.t.length).toBeLessThanOrEqual(121);
  expect(long.rate.reduce((a, b) => a + b, 0) * (long.bucketMs / 1000)).toBeCloseTo(400, -1);
  expect(throughputSeries([batch(0)], { now: 1, running: true })).toEqual({ bucketMs: 1000, t: [], rate: [] });
});
