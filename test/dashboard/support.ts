/**
 * Helpers of the dashboard tests: a seeded job, a dashboard on a local port,
 * HTTP calls, and the browser (Debian's Chromium through playwright-core).
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { ProcessedRecord, SequelizeStateStore } from '../../src';
import { createDashboard, type DashboardHandler, type DashboardOptions } from '../../src/dashboard';

/** A token long enough for `actions`. */
export const TOKEN = 'test-token-0123456789abcdef';

/** The XSS payloads of the issue. */
export const XSS_FIELD = '<img src=x onerror=alert(1)>';
export const XSS_JOB = '<script>window.__pwned=1</script>';

/** A failed record whose raw values and error carry markup. */
export function failedRecord(index: number): ProcessedRecord {
  const raw = { name: XSS_FIELD, email: `user${index}@example.com`, note: 'a "quoted", value' };
  return {
    index, raw, parsed: raw, status: 'failed', retryCount: 1,
    errors: [{ field: 'name', code: 'PATTERN_MISMATCH', message: `bad name ${XSS_FIELD}`, severity: 'error' }],
    processingError: `rejected <b>${index}</b>`,
  };
}

/**
 * A distributed job of `batches` batches of `batchSize` records, as the
 * orchestrator prepares it; the first `completed` are then claimed and
 * finished by worker `w-done` (each with one failed record), and the next
 * `held` are claimed by worker `w-held`.
 */
export async function seedJob(
  store: SequelizeStateStore, jobId: string,
  options: { batches?: number; batchSize?: number; completed?: number; held?: number } = {},
): Promise<{ batchIds: string[] }> {
  const { batches = 6, batchSize = 4, completed = 2, held = 1 } = options;
  const batchIds: string[] = [];
  const list = [];
  for (let i = 0; i < batches; i++) {
    const id = `b${i}-${jobId.length}`;
    batchIds.push(id);
    const records: ProcessedRecord[] = [];
    for (let r = i * batchSize; r < (i + 1) * batchSize; r++) {
      records.push({ index: r, raw: { n: r }, parsed: { n: r }, status: 'pending', errors: [] });
    }
    await store.saveBatchRecords(jobId, id, records);
    list.push({
      id, index: i, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0,
      recordStartIndex: i * batchSize, recordEndIndex: (i + 1) * batchSize - 1,
    });
  }
  await store.saveJobState({
    id: jobId, config: { batchSize, continueOnError: true }, status: 'PROCESSING', distributed: true,
    batches: list, totalRecords: batches * batchSize, startedAt: Date.now() - 5000,
  });
  for (let i = 0; i < completed + held; i++) {
    const worker = i < completed ? 'w-done' : 'w-held';
    const claim = await store.claimBatch(jobId, worker);
    if (!claim.claimed) throw new Error(`seedJob: claim ${i} failed: ${claim.reason}`);
    if (i >= completed) continue;
    const { batchId, recordStartIndex: start, recordEndIndex: end } = claim.reservation;
    for (let r = start; r <= end; r++) {
      await store.saveProcessedRecord(jobId, batchId, r === start
        ? failedRecord(r)
        : { index: r, raw: { n: r }, parsed: { n: r }, status: 'processed', errors: [] });
    }
    await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: end - start, failedCount: 1 });
  }
  return { batchIds };
}

/** A dashboard on a plain http server on a free local port. */
export interface Served {
  readonly url: string;
  readonly handler: DashboardHandler;
  readonly server: http.Server;
  close(): Promise<void>;
}

/** Serves `listener` (a dashboard or an Express app) on 127.0.0.1. */
export async function listen(listener: http.RequestListener, handler?: DashboardHandler): Promise<Served> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handler: handler as DashboardHandler,
    server,
    close: () => new Promise<void>((resolve) => {
      handler?.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** `createDashboard(store, options)` on its own server. */
export function serve(store: SequelizeStateStore, options: DashboardOptions = {}): Promise<Served> {
  const handler = createDashboard(store, options);
  return listen((req, res) => handler(req, res), handler);
}

/** The Chromium to drive: `DASHBOARD_BROWSER`, else Debian's, else `undefined` (the browser tests skip). */
export function browserPath(): string | undefined {
  const given = process.env.DASHBOARD_BROWSER;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`DASHBOARD_BROWSER=${given} does not exist`);
    return given;
  }
  return fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

/** Flags Chromium needs here (without the networking ones its local connections get refused). */
export const BROWSER_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
