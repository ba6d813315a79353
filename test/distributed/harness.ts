/**
 * Orchestrator side of the multi-process distributed tests: prepares a job the
 * way `DistributedImport.prepare()` does, starts worker processes
 * (worker.ts) at once, kills those that report `hanging`, collects their
 * IPC messages, and checks the claim log and the store's final state.
 */
import { fork, type ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Batch, SequelizeStateStore } from '../../src';
import type { PreparedJob } from '../engine/orchestrator';
import { batchFails, recordFails, type WorkerEnv, type WorkerMessage } from '../engine/protocol';

export { prepareJob, type PreparedJob } from '../engine/orchestrator';

const WORKER = path.join(__dirname, 'worker.ts');
const ROOT = path.join(__dirname, '..', '..');
const TSCONFIG = path.join(ROOT, 'tsconfig.json');
const REGISTER = path.join(__dirname, 'register.js');

/** TypeScript files a worker loads: everything under src, this folder's worker scripts, the engine model and protocol. */
function workerSources(): string[] {
  const out: string[] = [
    ...['worker.ts', 'leaseChild.ts'].map((f) => path.join(__dirname, f)),
    ...['distributedWorker.ts', 'protocol.ts'].map((f) => path.join(__dirname, '../engine', f)),
  ];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
    }
  };
  walk(path.join(ROOT, 'src'));
  return out;
}

/**
 * How workers run TypeScript: `DIST_LOADER=ts-node` uses
 * `ts-node/register/transpile-only`; the default is register.js, the same
 * transpile-only compilation with a disk cache the orchestrator fills first
 * (eight cold ts-node starts cost ~25 s of CPU on this 2-core machine).
 */
function loaderArgs(): { execArgv: string[]; env: Record<string, string> } {
  if (process.env.DIST_LOADER === 'ts-node') {
    return { execArgv: ['-r', 'ts-node/register/transpile-only'], env: { TS_NODE_PROJECT: TSCONFIG, TS_NODE_TRANSPILE_ONLY: 'true' } };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(REGISTER) as { warm(files: string[]): void }).warm(workerSources());
  return { execArgv: ['-r', REGISTER], env: { DIST_REGISTER: '1' } };
}

/** Forks a TypeScript script of this folder the way the workers are forked (IPC channel, same loader). */
export function forkScript(file: string, env: Record<string, string>): ChildProcess {
  const loader = loaderArgs();
  return fork(path.join(__dirname, file), [], {
    execArgv: loader.execArgv,
    env: { ...process.env, ...env, ...loader.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** How to run the workers. */
export interface RunOptions {
  readonly dialect: string;
  /** Connection URL, or the SQLite file. */
  readonly url: string;
  readonly prefix: string;
  readonly jobId: string;
  readonly workers: number;
  readonly staleMs: number;
  readonly mode: 'engine' | 'fenced';
  readonly failBatches?: boolean;
  /** Worker number → the claim (1-based) on which it hangs half-way and is killed. */
  readonly hangAt?: Readonly<Record<number, number>>;
  /** Give up (kill everything) if the workers are not all connected after this long. Default 180 s. */
  readonly startTimeoutMs?: number;
  /** Give up (kill everything) if the workers have not all ended this long after `go`. Default 200 s. */
  readonly timeoutMs?: number;
}

/** What happened to one worker process. */
export interface WorkerOutcome {
  readonly workerId: string;
  readonly messages: WorkerMessage[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When the orchestrator sent SIGKILL (epoch ms), if it did. */
  readonly killedAt?: number;
  /** When the workers were all connected and told to go (epoch ms). */
  readonly goAt: number;
}

/** Starts the workers, lets them go at once, and waits for all to end. */
export async function runWorkers(options: RunOptions): Promise<WorkerOutcome[]> {
  const children: { workerId: string; child: ChildProcess; messages: WorkerMessage[]; killedAt?: number }[] = [];
  const exits: Promise<{ code: number | null; signal: NodeJS.Signals | null }>[] = [];
  let ready = 0;
  let release!: () => void;
  const allReady = new Promise<void>((resolve) => (release = resolve));
  const abort = (): void => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  };
  const loader = loaderArgs();
  for (let n = 0; n < options.workers; n++) {
    const workerId = `w${n}-${randomUUID().slice(0, 8)}`;
    const env: WorkerEnv = {
      DIST_DIALECT: options.dialect,
      DIST_URL: options.url,
      DIST_PREFIX: options.prefix,
      DIST_JOB_ID: options.jobId,
      DIST_WORKER_ID: workerId,
      DIST_STALE_MS: String(options.staleMs),
      DIST_MODE: options.mode,
      ...(options.failBatches ? { DIST_FAIL_BATCHES: '1' } : {}),
      ...(options.hangAt?.[n] ? { DIST_HANG_AT_CLAIM: String(options.hangAt[n]) } : {}),
    };
    const child = fork(WORKER, [], {
      execArgv: loader.execArgv,
      env: { ...process.env, ...env, ...loader.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const entry: (typeof children)[number] = { workerId, child, messages: [] };
    children.push(entry);
    exits.push(new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))));
    child.on('message', (message: WorkerMessage) => {
      entry.messages.push(message);
      if (message.type === 'ready' && ++ready === options.workers) release();
      if (message.type === 'hanging') {
        entry.killedAt = Date.now();
        child.kill('SIGKILL');
      }
      // A worker that died on an error leaves its batch held until it goes
      // stale: stop the run now rather than wait for the timeout.
      if (message.type === 'error') abort();
    });
  }
  let timer = setTimeout(abort, options.startTimeoutMs ?? 180_000);
  try {
    await Promise.race([allReady, Promise.all(exits)]);
    clearTimeout(timer);
    timer = setTimeout(abort, options.timeoutMs ?? 200_000);
    const goAt = Date.now();
    for (const c of children) if (c.child.connected) c.child.send({ type: 'go' });
    const ends = await Promise.all(exits);
    return children.map((c, i) => ({
      workerId: c.workerId,
      messages: c.messages,
      exitCode: ends[i]!.code,
      signal: ends[i]!.signal,
      goAt,
      ...(c.killedAt !== undefined ? { killedAt: c.killedAt } : {}),
    }));
  } finally {
    clearTimeout(timer);
  }
}

/** Messages of one type from every worker, in arrival order per worker. */
export function messagesOf<T extends WorkerMessage['type']>(
  outcomes: readonly WorkerOutcome[], type: T,
): Extract<WorkerMessage, { type: T }>[] {
  return outcomes.flatMap((o) => o.messages.filter((m): m is Extract<WorkerMessage, { type: T }> => m.type === type));
}

/**
 * One worker's tenure of one batch, from the claim log: from `claimedAt` to
 * the start of its last fenced operation that succeeded (heartbeat or
 * completion), how it ended.
 */
export interface Tenure {
  readonly workerId: string;
  readonly batchId: string;
  readonly claimedAt: number;
  /** Start of the last operation that proved the worker still held the batch. */
  readonly lastHeldAt: number;
  readonly ended: 'done' | 'leaseLost' | 'killed' | 'open';
}

/** Tenures per batch id, each batch's sorted by `claimedAt`. */
export function tenures(outcomes: readonly WorkerOutcome[]): Map<string, Tenure[]> {
  const byBatch = new Map<string, Tenure[]>();
  for (const o of outcomes) {
    let current: { batchId: string; claimedAt: number; lastHeldAt: number } | undefined;
    const close = (ended: Tenure['ended']): void => {
      if (!current) return;
      const list = byBatch.get(current.batchId) ?? [];
      list.push({ workerId: o.workerId, ...current, ended });
      byBatch.set(current.batchId, list);
      current = undefined;
    };
    for (const m of o.messages) {
      if (m.type === 'claim') {
        close('open');
        current = { batchId: m.batchId, claimedAt: m.claimedAt, lastHeldAt: m.claimedAt };
      } else if (m.type === 'heartbeat' && current) {
        current.lastHeldAt = Math.max(current.lastHeldAt, m.startedAt);
      } else if (m.type === 'done' && current) {
        current.lastHeldAt = Math.max(current.lastHeldAt, m.startedAt);
        close('done');
      } else if (m.type === 'leaseLost') {
        close('leaseLost');
      } else if (m.type === 'hanging') {
        close('killed');
      }
    }
    close('open');
  }
  for (const list of byBatch.values()) list.sort((a, b) => a.claimedAt - b.claimedAt);
  return byBatch;
}

/** Expected per-batch outcome of a prepared job. */
export function expectedBatch(batch: Batch, failBatches: boolean): { status: string; processed: number; failed: number } {
  let failed = 0;
  for (let i = batch.recordStartIndex!; i <= batch.recordEndIndex!; i++) if (recordFails(i)) failed++;
  const size = batch.recordEndIndex! - batch.recordStartIndex! + 1;
  return { status: failBatches && batchFails(batch.index) ? 'FAILED' : 'COMPLETED', processed: size - failed, failed };
}

/** Clock granularity between the database's `claimedAt` and the workers' `Date.now()` (same host). */
export const CLOCK_SLACK_MS = 2;

/** The store's final state is the true outcome of the job. */
export async function verifyStore(store: SequelizeStateStore, job: PreparedJob, failBatches: boolean): Promise<void> {
  const processed = await store.getProcessedRecords(job.jobId);
  const failed = await store.getFailedRecords(job.jobId);
  const pending = await store.getPendingRecords(job.jobId);
  expect(pending).toHaveLength(0);
  expect(processed.length + failed.length).toBe(job.totalRecords);
  const seen = new Uint8Array(job.totalRecords);
  for (const r of [...processed, ...failed]) seen[r.index] = (seen[r.index] ?? 0) + 1;
  expect(seen.every((n) => n === 1)).toBe(true);
  expect(failed.every((r) => recordFails(r.index))).toBe(true);
  expect(processed.every((r) => !recordFails(r.index) && typeof r.parsed.processedBy === 'string')).toBe(true);
  const expectedFailed = Array.from({ length: job.totalRecords }, (_, i) => i).filter(recordFails).length;
  expect(failed).toHaveLength(expectedFailed);

  const state = await store.getJobState(job.jobId);
  expect(state).not.toBeNull();
  const anyFailed = failBatches && job.batches.some((b) => expectedBatch(b, true).status === 'FAILED');
  expect(state!.status).toBe(anyFailed ? 'FAILED' : 'COMPLETED');
  expect(typeof state!.completedAt).toBe('number');
  expect(state!.batches).toHaveLength(job.batches.length);
  for (const [i, b] of state!.batches.entries()) {
    const want = expectedBatch(job.batches[i]!, failBatches);
    expect({ id: b.id, index: b.index, status: b.status, processed: b.processedCount, failed: b.failedCount }).toEqual({
      id: job.batches[i]!.id, index: i, status: want.status, processed: want.processed, failed: want.failed,
    });
  }
  // The engine's job summary: sums over getJobState().batches.
  const sumProcessed = state!.batches.reduce((a, b) => a + b.processedCount, 0);
  const sumFailed = state!.batches.reduce((a, b) => a + b.failedCount, 0);
  expect({ sumProcessed, sumFailed }).toEqual({ sumProcessed: job.totalRecords - expectedFailed, sumFailed: expectedFailed });

  const status = await store.getDistributedStatus(job.jobId);
  const failedBatches = job.batches.filter((b) => expectedBatch(b, failBatches).status === 'FAILED').length;
  expect(status).toEqual({
    jobId: job.jobId,
    totalBatches: job.batches.length,
    completedBatches: job.batches.length - failedBatches,
    failedBatches,
    processingBatches: 0,
    pendingBatches: 0,
    isComplete: true,
  });
  const progress = await store.getProgress(job.jobId);
  expect(progress).toMatchObject({
    totalRecords: job.totalRecords, processedRecords: job.totalRecords - expectedFailed, failedRecords: expectedFailed, pendingRecords: 0, percentage: 100,
  });
}

/** Exactly one worker finalized, and its summary is the truth. */
export function verifyFinalization(outcomes: readonly WorkerOutcome[], failBatches: boolean, job: PreparedJob): void {
  const finalized = messagesOf(outcomes, 'finalized');
  expect(finalized).toHaveLength(1);
  const expectedFailed = Array.from({ length: job.totalRecords }, (_, i) => i).filter(recordFails).length;
  const anyFailed = failBatches && job.batches.some((b) => expectedBatch(b, true).status === 'FAILED');
  expect(finalized[0]!.summary).toEqual({
    processed: job.totalRecords - expectedFailed, failed: expectedFailed, status: anyFailed ? 'FAILED' : 'COMPLETED',
  });
}

/**
 * No batch held by two live workers at once: for consecutive tenures of a
 * batch, the earlier one's last proof of holding it (a fenced operation that
 * succeeded, started at `lastHeldAt`) comes no later than the next claim.
 */
export function verifyNoOverlap(outcomes: readonly WorkerOutcome[], job: PreparedJob): Map<string, Tenure[]> {
  const byBatch = tenures(outcomes);
  expect(byBatch.size).toBe(job.batches.length);
  for (const [batchId, list] of byBatch) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      expect(prev.ended).not.toBe('done'); // a completed batch is never handed out again
      if (prev.lastHeldAt > next.claimedAt + CLOCK_SLACK_MS) {
        throw new Error(`batch ${batchId} held by ${prev.workerId} until ${prev.lastHeldAt} but claimed by ${next.workerId} at ${next.claimedAt}`);
      }
    }
    // Each batch completed exactly once, by its last holder.
    expect(list.filter((t) => t.ended === 'done')).toHaveLength(1);
    expect(list[list.length - 1]!.ended).toBe('done');
  }
  return byBatch;
}

/** Human-readable digest of worker errors and exits, for assertion messages. */
export function describeOutcomes(outcomes: readonly WorkerOutcome[]): string {
  return outcomes
    .map((o) => {
      const errors = o.messages.filter((m) => m.type === 'error').map((m) => (m as { stack?: string; message: string }).stack ?? m.type);
      return `${o.workerId}: exit ${o.exitCode} signal ${o.signal}${errors.length ? `\n${errors.join('\n')}` : ''}`;
    })
    .join('\n');
}
