/**
 * `/metrics` (SQLite): the families, no record data, bounded labels, the
 * user's prom-client Registry, and prom-client missing.
 */
import { Counter, Registry } from 'prom-client';
import type * as Dashboard from '../../src/dashboard';
import { createDashboard } from '../../src/dashboard';
import { DATABASES, freshStore } from '../helpers/databases';
import { seedJob, serve, XSS_FIELD, XSS_JOB } from './support';

let fresh: Awaited<ReturnType<typeof freshStore>>;
beforeAll(async () => {
  fresh = await freshStore(DATABASES[0]!);
  await seedJob(fresh.store, XSS_JOB, { batches: 5, completed: 2, held: 1 });
});
afterAll(() => fresh.drop());

test('/metrics: jobs, batches and records by status, stale leases, lease age, store call latencies; no record data', async () => {
  const served = await serve(fresh.store, { staleAfterMs: 100 });
  try {
    await new Promise((resolve) => setTimeout(resolve, 150));
    await fetch(`${served.url}/api/jobs`);
    const res = await fetch(`${served.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('bulkimport_store_up 1');
    expect(text).toContain('bulkimport_jobs{status="PROCESSING"} 1');
    expect(text).toContain('bulkimport_batches{status="PENDING"} 2');
    expect(text).toContain('bulkimport_batches{status="PROCESSING"} 1');
    expect(text).toMatch(/bulkimport_records\{status="processed"\} 6\n/);
    expect(text).toMatch(/bulkimport_records\{status="failed"\} 2\n/);
    expect(text).toContain('bulkimport_stale_batches 1');
    expect(text).toMatch(/bulkimport_oldest_lease_age_seconds 0\.\d+|bulkimport_oldest_lease_age_seconds [1-9]/);
    expect(text).toMatch(/bulkimport_store_call_duration_seconds_bucket\{le="0\.1",operation="listJobs",outcome="ok"\} 1/);
    for (const secret of [XSS_FIELD, 'pwned', 'w-held', 'w-done', '@example.com', 'b0-']) expect(text).not.toContain(secret);
    const labels = [...text.matchAll(/operation="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(labels).size).toBeLessThan(30);
  } finally {
    await served.close();
  }
});

test('the user\'s Registry gets the metrics next to its own, and loses them on close()', async () => {
  const registry = new Registry();
  const mine = new Counter({ name: 'app_requests_total', help: 'requests', registers: [registry] });
  mine.inc();
  const served = await serve(fresh.store, { metrics: { registry, prefix: 'imports_' } });
  try {
    expect(served.handler.registry).toBe(registry);
    const own = await registry.metrics();
    expect(own).toContain('app_requests_total 1');
    expect(own).toContain('imports_jobs{status="PROCESSING"} 1');
    const scraped = await (await fetch(`${served.url}/metrics`)).text();
    expect(scraped).toContain('app_requests_total 1');
  } finally {
    await served.close();
  }
  expect(await registry.metrics()).not.toContain('imports_jobs');
  expect(await registry.metrics()).toContain('app_requests_total');
});

test('metrics: false serves no /metrics; a bad registry is refused', async () => {
  const served = await serve(fresh.store, { metrics: false });
  try {
    expect((await fetch(`${served.url}/metrics`)).status).toBe(404);
    expect(served.handler.registry).toBeUndefined();
  } finally {
    await served.close();
  }
  expect(() => createDashboard(fresh.store, { metrics: { registry: {} as never } })).toThrow(/metrics\.registry/);
});

test('without prom-client: /metrics says how to install it, and metrics: true is an error', async () => {
  let isolated!: typeof Dashboard;
  jest.isolateModules(() => {
    jest.doMock('prom-client', () => {
      throw Object.assign(new Error("Cannot find module 'prom-client'"), { code: 'MODULE_NOT_FOUND' });
    });
    isolated = require('../../src/dashboard') as typeof Dashboard;
  });
  expect(() => isolated.createDashboard(fresh.store, { metrics: true })).toThrow('npm install prom-client');
  const handler = isolated.createDashboard(fresh.store);
  const served = await serve(fresh.store, {});
  served.server.removeAllListeners('request');
  served.server.on('request', (req, res) => handler(req, res));
  try {
    const res = await fetch(`${served.url}/metrics`);
    expect(res.status).toBe(501);
    expect(await res.text()).toContain('npm install prom-client');
    expect((await fetch(`${served.url}/api/jobs`)).status).toBe(200);
  } finally {
    await served.close();
    jest.dontMock('prom-client');
  }
});
