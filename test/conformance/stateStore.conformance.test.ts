/**
 * StateStore conformance: one suite, run once per database in DATABASES.
 *
 * The big test drives the store exactly as the engine's single-process path
 * does (`BatchEngine` / `BulkImport`): `saveJobState(PROCESSING, [])`, then per
 * batch `updateBatchState(PROCESSING)` (before any `saveJobState` names the
 * batch), `saveProcessedRecord` for every record, `updateBatchState(COMPLETED |
 * FAILED)`; a pause in the middle of a batch (`saveJobState(PAUSED)` with the
 * batches so far), a restore on a new connection that redoes the unfinished
 * batch under a new batch id (as the engine does), the final `saveJobState`,
 * and a restore read. Every value that comes back is compared with a reference
 * model of what the engine wrote.
 */
import { randomUUID } from 'crypto';
import type { Sequelize } from 'sequelize';
import {
  InvalidInputError, NotFoundError, SequelizeStateStore,
  type Batch, type BatchStatus, type JobConfig, type JobState, type ProcessedRecord, type RawRecord, type ValidationError,
} from '../../src';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { slowTest, verbose } from '../helpers/slow';

const BATCH_SIZE = 500;
const TOTAL = 10_000;
const BATCH_COUNT = TOTAL / BATCH_SIZE;
/** Batches 0…PAUSE_BATCH-1 finish before the pause; PAUSE_BATCH is half done. */
const PAUSE_BATCH = 10;
const PAUSED_AFTER = 250;
/** This batch ends FAILED (the others COMPLETED). */
const FAILED_BATCH = 4;
const STARTED_AT = 1_764_000_000_123;
const COMPLETED_AT = STARTED_AT + 123_456;

// ------------------------------------------------------------------ the data

/** The import schema as the user gives it: RegExps and functions included. */
function userConfig(): JobConfig {
  return {
    batchSize: BATCH_SIZE,
    maxConcurrentBatches: 1,
    continueOnError: true,
    maxRetries: 3,
    retryDelayMs: 0,
    skipEmptyRows: false,
    schema: {
      fields: [
        {
          name: 'email',
          type: 'email',
          required: true,
          pattern: /^[\w.+-]+@example\.(com|org)$/iu,
          customValidator: (v: unknown) => ({ isValid: typeof v === 'string' }),
          transform: (v: unknown) => String(v).toLowerCase(),
          aliases: ['e-mail', 'Correo electrónico'],
        },
        {
          name: 'name',
          type: 'string',
          required: false,
          pattern: /^\p{L}[\p{L} \d🚀]*\/?\\$/gmsuyd,
          defaultValue: '',
        },
        { name: 'age', type: 'number', required: false, defaultValue: 0 },
        { name: 'active', type: 'boolean', required: false, defaultValue: false },
        {
          name: 'tags',
          type: 'array',
          required: false,
          separator: '|',
          itemTransform: (s: string) => s.trim(),
          defaultValue: [],
        },
        { name: 'meta', type: 'custom', required: false, defaultValue: { nested: { n: null, list: [1, 'two', 3.5] } } },
      ],
      strict: true,
      skipEmptyRows: true,
      uniqueFields: ['email'],
    },
  };
}

/** What must come back: the same config without the functions. */
function storedConfig(): JobConfig {
  return {
    batchSize: BATCH_SIZE,
    maxConcurrentBatches: 1,
    continueOnError: true,
    maxRetries: 3,
    retryDelayMs: 0,
    skipEmptyRows: false,
    schema: {
      fields: [
        {
          name: 'email',
          type: 'email',
          required: true,
          pattern: /^[\w.+-]+@example\.(com|org)$/iu,
          aliases: ['e-mail', 'Correo electrónico'],
        },
        { name: 'name', type: 'string', required: false, pattern: /^\p{L}[\p{L} \d🚀]*\/?\\$/gmsuyd, defaultValue: '' },
        { name: 'age', type: 'number', required: false, defaultValue: 0 },
        { name: 'active', type: 'boolean', required: false, defaultValue: false },
        { name: 'tags', type: 'array', required: false, separator: '|', defaultValue: [] },
        { name: 'meta', type: 'custom', required: false, defaultValue: { nested: { n: null, list: [1, 'two', 3.5] } } },
      ],
      strict: true,
      skipEmptyRows: true,
      uniqueFields: ['email'],
    },
  };
}

function rawOf(i: number): RawRecord {
  return {
    name: `Zoë ${i} 名前 🚀`,
    email: i % 20 === 3 ? `not-an-email-${i}` : `User${i}@Example.com`,
    age: String(i % 97),
    active: i % 2 === 0,
    note: null,
    tags: `a| t${i % 5} |ü`,
    text: `line1\nline2\t"quoted" \\ back\u0000slash ${i}`,
    nested: { level1: { level2: [i, -(i + 1) / 4, { deep: 'ñ\u0000x', empty: {}, emptyList: [] }] } },
    numbers: { max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER, tiny: 1e-7, huge: 1.5e300, zero: 0 },
  };
}

function parsedOf(i: number): RawRecord {
  return {
    name: `Zoë ${i} 名前 🚀`,
    email: `user${i}@example.com`,
    age: i % 97,
    active: i % 2 === 0,
    tags: ['a', `t${i % 5}`, 'ü'],
    meta: { source: 'csv', row: i + 2, ok: true, missing: null },
  };
}

type Kind = 'invalid' | 'failed' | 'failedAfterHook' | 'warned' | 'retried' | 'plain';

function kindOf(i: number): Kind {
  if (i % 20 === 3) return 'invalid';
  if (i % 50 === 7) return 'failed';
  if (i % 100 === 21) return 'failedAfterHook';
  if (i % 7 === 0) return 'warned';
  if (i % 11 === 5) return 'retried';
  return 'plain';
}

function warning(i: number): ValidationError {
  return {
    field: 'name',
    message: `Name has a trailing emoji 🚀 (row ${i})`,
    code: 'CUSTOM_VALIDATION',
    value: `Zoë ${i} 名前 🚀`,
    severity: 'warning',
    category: 'CUSTOM',
    suggestion: 'Remove the emoji',
    metadata: { rule: 'no-emoji', positions: [i % 10, 12], strict: false, extra: null },
  };
}

/**
 * What the engine saves for source record `i`, in call order. The last save
 * is what the store must return.
 */
function savesOf(i: number): ProcessedRecord[] {
  const raw = rawOf(i);
  switch (kindOf(i)) {
    case 'invalid':
      return [{
        index: i,
        raw,
        parsed: raw,
        status: 'invalid',
        errors: [
          {
            field: 'email',
            message: `Invalid e-mail «${String(raw.email)}»`,
            code: 'PATTERN_MISMATCH',
            value: raw.email,
            severity: 'error',
            category: 'FORMAT',
            suggestion: 'Use name@example.com',
            metadata: { pattern: '^[\\w.+-]+@example\\.(com|org)$', flags: 'iu' },
          },
          { field: 'unknown_col', message: 'Unknown field', code: 'UNKNOWN_FIELD' },
          warning(i),
        ],
      }];
    case 'failed':
      return [{
        index: i,
        raw,
        parsed: parsedOf(i),
        status: 'failed',
        errors: i % 3 === 0 ? [warning(i)] : [],
        processingError: `Error: connection reset 🔌 at record ${i}\n    at "insert" (db.ts:1:2) \\ \u0000 end`,
        retryCount: 3,
      }];
    case 'failedAfterHook':
      return [
        { index: i, raw, parsed: parsedOf(i), status: 'processed', errors: [], retryCount: 0 },
        { index: i, raw, parsed: parsedOf(i), status: 'failed', errors: [], processingError: `afterProcess hook failed: 名前 ${i}` },
      ];
    case 'warned':
      return [{ index: i, raw, parsed: parsedOf(i), status: 'processed', errors: [warning(i)], retryCount: 0 }];
    case 'retried':
      return [{ index: i, raw, parsed: parsedOf(i), status: 'processed', errors: [], retryCount: 2 }];
    case 'plain':
      return [{ index: i, raw, parsed: parsedOf(i), status: 'processed', errors: [], retryCount: 0 }];
  }
}

/** The first attempt at the batch the pause interrupts writes something else, later replaced. */
function interruptedSave(i: number): ProcessedRecord {
  return {
    index: i,
    raw: { interrupted: true, i },
    parsed: {},
    status: 'failed',
    errors: [warning(i)],
    processingError: 'interrupted by pause',
    retryCount: 1,
  };
}

// ------------------------------------------------------------------ reference model

/** What the engine has told the store, kept in memory to compare against. */
class Model {
  readonly records = new Map<number, ProcessedRecord>();

  save(record: ProcessedRecord): void {
    this.records.set(record.index, record);
  }

  byStatus(...statuses: string[]): ProcessedRecord[] {
    return [...this.records.values()].filter((r) => statuses.includes(r.status)).sort((a, b) => a.index - b.index);
  }

  count(...statuses: string[]): number {
    return this.byStatus(...statuses).length;
  }
}

/** Simulates the engine's `processStreamBatch` for one batch. */
async function runBatch(
  store: SequelizeStateStore,
  model: Model,
  jobId: string,
  index: number,
  options: { upTo?: number; first?: (i: number) => ProcessedRecord; status?: BatchStatus } = {},
): Promise<Batch> {
  const id = randomUUID();
  await store.updateBatchState(jobId, id, { batchId: id, status: 'PROCESSING', processedCount: 0, failedCount: 0 });
  let processed = 0;
  let failed = 0;
  const end = index * BATCH_SIZE + (options.upTo ?? BATCH_SIZE);
  for (let i = index * BATCH_SIZE; i < end; i++) {
    const saves = options.first ? [options.first(i)] : savesOf(i);
    for (const record of saves) {
      await store.saveProcessedRecord(jobId, id, record);
      model.save(record);
    }
    const last = saves[saves.length - 1] as ProcessedRecord;
    if (last.status === 'processed') processed++;
    else failed++;
  }
  if (options.upTo !== undefined) {
    // Interrupted: the engine's in-memory batch still has its records and zero counts.
    return { id, index, status: options.status ?? 'PROCESSING', records: [], processedCount: 0, failedCount: 0 };
  }
  const status = options.status ?? 'COMPLETED';
  await store.updateBatchState(jobId, id, { batchId: id, status, processedCount: processed, failedCount: failed });
  return { id, index, status, records: [], processedCount: processed, failedCount: failed };
}

function byIndexThenId(a: Batch, b: Batch): number {
  return a.index - b.index || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Batches come back ordered by index; ties (a redone batch) in any order. */
function expectBatches(actual: readonly Batch[], expected: readonly Batch[]): void {
  const indexes = actual.map((b) => b.index);
  expect(indexes).toStrictEqual([...indexes].sort((a, b) => a - b));
  expect([...actual].sort(byIndexThenId)).toStrictEqual(
    expected.map((b) => ({ ...b, records: [] })).sort(byIndexThenId),
  );
}

/** A second connection and store on the same tables: a restore in a new process. */
function reconnect(db: TestDatabase, sequelize: Sequelize, prefix: string): { sequelize: Sequelize; store: SequelizeStateStore } {
  const storage = (sequelize as unknown as { options: { storage?: string } }).options.storage;
  const again = db.connect({ storage });
  return { sequelize: again, store: new SequelizeStateStore(again, { tablePrefix: prefix }) };
}

function job(id: string, fields: Partial<JobState> & Pick<JobState, 'status' | 'batches' | 'totalRecords'>): JobState {
  return { id, config: userConfig(), startedAt: STARTED_AT, ...fields };
}

// ------------------------------------------------------------------ the suite

describe.each(DATABASES)('StateStore conformance on $name', (db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;

  beforeAll(async () => {
    ctx = await freshStore(db);
  });

  afterAll(async () => {
    await ctx?.drop();
  });

  slowTest(`a ${TOTAL.toLocaleString('en')}-record single-process job with a pause, a restore and a final save comes back exactly`, async () => {
    const { store } = ctx;
    const jobId = randomUUID();
    const model = new Model();
    const batches: Batch[] = [];
    const t0 = process.hrtime.bigint();

    // 1. start
    await store.saveJobState(job(jobId, { status: 'PROCESSING', batches: [], totalRecords: 0 }));

    // 2. batches before the pause; after batch 2 the store has seen batches only through updateBatchState
    for (let b = 0; b < PAUSE_BATCH; b++) {
      batches.push(await runBatch(store, model, jobId, b, b === FAILED_BATCH ? { status: 'FAILED' } : {}));
      if (b === 2) {
        const early = await store.getJobState(jobId);
        expect(early).toStrictEqual({
          id: jobId, config: storedConfig(), status: 'PROCESSING', totalRecords: 0, startedAt: STARTED_AT, batches: early?.batches,
        });
        expectBatches(early?.batches ?? [], batches);
      }
    }

    // 3. pause in the middle of batch PAUSE_BATCH; the engine saves its batches (records still attached)
    const interrupted = await runBatch(store, model, jobId, PAUSE_BATCH, { upTo: PAUSED_AFTER, first: interruptedSave, status: 'PAUSED' });
    batches.push(interrupted);
    const totalAtPause = (PAUSE_BATCH + 1) * BATCH_SIZE;
    await store.saveJobState(job(jobId, {
      status: 'PAUSED',
      totalRecords: totalAtPause,
      batches: batches.map((b) => (b === interrupted ? { ...b, records: [interruptedSave(PAUSE_BATCH * BATCH_SIZE)] } : b)),
    }));

    const paused = await store.getJobState(jobId);
    expect(paused).toStrictEqual({
      id: jobId, config: storedConfig(), status: 'PAUSED', totalRecords: totalAtPause, startedAt: STARTED_AT, batches: paused?.batches,
    });
    expectBatches(paused?.batches ?? [], batches);
    const pausedProgress = await store.getProgress(jobId);
    const doneAtPause = PAUSE_BATCH * BATCH_SIZE + PAUSED_AFTER;
    expect(pausedProgress).toStrictEqual({
      totalRecords: totalAtPause,
      processedRecords: model.count('processed'),
      failedRecords: model.count('failed', 'invalid'),
      pendingRecords: totalAtPause - doneAtPause,
      percentage: Math.round((doneAtPause / totalAtPause) * 100),
      currentBatch: PAUSE_BATCH - 1,
      totalBatches: PAUSE_BATCH + 1,
      elapsedMs: expect.any(Number),
      estimatedRemainingMs: expect.any(Number),
    });
    expect(pausedProgress.elapsedMs).toBeGreaterThanOrEqual(Date.now() - STARTED_AT - 60_000);
    expect(model.count('processed') + model.count('failed', 'invalid')).toBe(doneAtPause);

    // 4. restore in a "new process": a new connection; BatchEngine.restore reads the state,
    //    keeps its batches, redoes the unfinished batch under a new id, then the rest.
    const second = reconnect(db, ctx.sequelize, ctx.prefix);
    try {
      await second.store.initialize(); // idempotent on existing tables
      const restored = await second.store.getJobState(jobId);
      expect(restored).toStrictEqual(paused);
      const resumed: Batch[] = [...(restored?.batches ?? [])];
      await second.store.saveJobState({ ...(restored as JobState), config: userConfig(), status: 'PROCESSING' });
      for (let b = PAUSE_BATCH; b < BATCH_COUNT; b++) {
        resumed.push(await runBatch(second.store, model, jobId, b));
      }
      // the interrupted batch's records now belong to its redo
      expect(await second.store.getBatchRecords(jobId, interrupted.id)).toStrictEqual([]);

      // 5. final save
      await second.store.saveJobState(job(jobId, {
        status: 'COMPLETED', totalRecords: TOTAL, completedAt: COMPLETED_AT, batches: resumed,
      }));
    } finally {
      await second.sequelize.close();
    }
    const writeMs = Number(process.hrtime.bigint() - t0) / 1e6;

    // 6. restore read, on yet another connection, and every value checked
    const third = reconnect(db, ctx.sequelize, ctx.prefix);
    try {
      const t1 = process.hrtime.bigint();
      const state = await third.store.getJobState(jobId);
      const expectedBatches: Batch[] = [...batches];
      // batches ≥ PAUSE_BATCH were redone or done after the restore
      const final = state?.batches ?? [];
      expect(state).toStrictEqual({
        id: jobId,
        config: storedConfig(),
        status: 'COMPLETED',
        totalRecords: TOTAL,
        startedAt: STARTED_AT,
        completedAt: COMPLETED_AT,
        batches: final,
      });
      expect(typeof state?.startedAt).toBe('number');
      expect(typeof state?.completedAt).toBe('number');
      const fields = (state?.config.schema as { fields: Array<{ pattern?: unknown }> }).fields;
      expect(fields[0]?.pattern).toBeInstanceOf(RegExp);
      expect((fields[0]?.pattern as RegExp).test('a.b+c@EXAMPLE.org')).toBe(true);
      expect((fields[1]?.pattern as RegExp).flags).toBe('dgmsuy');

      // 21 batches: 0…9 from before the pause, the interrupted one (PAUSED), its redo and 11…19
      expect(final).toHaveLength(BATCH_COUNT + 1);
      const redone = final.filter((b) => b.index >= PAUSE_BATCH && b.id !== interrupted.id);
      expect(redone.map((b) => b.index).sort((a, b) => a - b)).toStrictEqual(
        Array.from({ length: BATCH_COUNT - PAUSE_BATCH }, (_, k) => PAUSE_BATCH + k),
      );
      for (const b of redone) {
        const inBatch = [...model.records.values()].filter((r) => Math.floor(r.index / BATCH_SIZE) === b.index);
        expectedBatches.push({
          id: b.id,
          index: b.index,
          status: 'COMPLETED',
          records: [],
          processedCount: inBatch.filter((r) => r.status === 'processed').length,
          failedCount: inBatch.filter((r) => r.status !== 'processed').length,
        });
      }
      expectBatches(final, expectedBatches);
      expect(final.find((b) => b.id === interrupted.id)).toStrictEqual({ ...interrupted, records: [] });
      expect(final.filter((b) => b.status === 'FAILED').map((b) => b.index)).toStrictEqual([FAILED_BATCH]);
      expect(final.reduce((n, b) => n + (b.status === 'COMPLETED' || b.status === 'FAILED' ? b.processedCount + b.failedCount : 0), 0)).toBe(TOTAL);

      // records: ordering and full content
      expect(model.records.size).toBe(TOTAL);
      const failed = await third.store.getFailedRecords(jobId);
      const processed = await third.store.getProcessedRecords(jobId);
      const pending = await third.store.getPendingRecords(jobId);
      expect(pending).toStrictEqual([]);
      expect(failed.map((r) => r.index)).toStrictEqual(model.byStatus('failed', 'invalid').map((r) => r.index));
      expect(processed.map((r) => r.index)).toStrictEqual(model.byStatus('processed').map((r) => r.index));
      expect(failed).toStrictEqual(model.byStatus('failed', 'invalid'));
      expect(processed).toStrictEqual(model.byStatus('processed'));
      expect(failed.length + processed.length).toBe(TOTAL);
      // spot checks that the model itself covers what matters
      expect(model.count('invalid')).toBe(TOTAL / 20);
      expect(failed.find((r) => r.index === 7)).toMatchObject({ status: 'failed', retryCount: 3 });
      expect(failed.find((r) => r.index === 21)).not.toHaveProperty('retryCount');
      expect(processed.find((r) => r.index === 5)).toMatchObject({ retryCount: 2 });
      expect((processed.find((r) => r.index === 0)?.raw as { text: string }).text).toContain('\u0000');

      // progress
      const progress = await third.store.getProgress(jobId);
      expect(progress).toStrictEqual({
        totalRecords: TOTAL,
        processedRecords: model.count('processed'),
        failedRecords: model.count('failed', 'invalid'),
        pendingRecords: 0,
        percentage: 100,
        currentBatch: BATCH_COUNT - 1,
        totalBatches: BATCH_COUNT + 1,
        elapsedMs: COMPLETED_AT - STARTED_AT,
        estimatedRemainingMs: 0,
      });
      const readMs = Number(process.hrtime.bigint() - t1) / 1e6;
      // Not an assertion: with TEST_VERBOSE=1 the time is reported so that slow dialects are visible.
      verbose(`[conformance ${db.name}] ${TOTAL} records written in ${Math.round(writeMs)} ms `
        + `(${Math.round((TOTAL / writeMs) * 1000)} records/s), read back in ${Math.round(readMs)} ms`);
    } finally {
      await third.sequelize.close();
    }
  }, 900_000);

  test('saving a record twice for the same index replaces it entirely', async () => {
    const { store } = ctx;
    const jobId = randomUUID();
    await store.saveJobState({ id: jobId, config: { batchSize: 10 }, status: 'PROCESSING', batches: [], totalRecords: 2 });
    const first: ProcessedRecord = {
      index: 1, raw: { a: 1 }, parsed: { a: 1 }, status: 'failed', errors: [warning(1)], processingError: 'boom', retryCount: 4,
    };
    const second: ProcessedRecord = { index: 1, raw: { b: '二' }, parsed: { b: true }, status: 'processed', errors: [] };
    // As the engine does, each batch is reported before its records are saved (progress counts records through their batches).
    for (const batchId of ['batch-a', 'batch-b']) {
      await store.updateBatchState(jobId, batchId, { batchId, status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    }
    await store.saveProcessedRecord(jobId, 'batch-a', first);
    expect(await store.getFailedRecords(jobId)).toStrictEqual([first]);
    await store.saveProcessedRecord(jobId, 'batch-b', second);
    expect(await store.getFailedRecords(jobId)).toStrictEqual([]);
    expect(await store.getProcessedRecords(jobId)).toStrictEqual([second]);
    expect(await store.getBatchRecords(jobId, 'batch-a')).toStrictEqual([]);
    expect(await store.getBatchRecords(jobId, 'batch-b')).toStrictEqual([second]);
    const progress = await store.getProgress(jobId);
    expect(progress).toMatchObject({ totalRecords: 2, processedRecords: 1, failedRecords: 0, pendingRecords: 1, percentage: 50 });
  });

  test('each status getter returns exactly its records, ordered by index, whatever the save order', async () => {
    const { store } = ctx;
    const jobId = randomUUID();
    await store.saveJobState({ id: jobId, config: { batchSize: 100 }, status: 'PROCESSING', batches: [], totalRecords: 12 });
    const statuses = ['pending', 'valid', 'processed', 'failed', 'invalid'] as const;
    const records: ProcessedRecord[] = Array.from({ length: 12 }, (_, k) => {
      const i = [9, 2, 11, 0, 7, 4, 10, 1, 5, 3, 8, 6][k] as number;
      const status = statuses[i % statuses.length] as ProcessedRecord['status'];
      return {
        index: i,
        raw: { i, s: `ключ ${i} 🎉`, list: [true, false, null, 0.1 + 0.2], obj: { '': 'empty key', 'a.b': 'dot', 'ü ñ': i } },
        parsed: status === 'pending' ? {} : { i },
        status,
        errors: status === 'invalid' ? [{ field: 'i', message: 'bad', code: 'REQUIRED', value: null }] : [],
        ...(status === 'failed' ? { processingError: '', retryCount: 0 } : {}),
      };
    });
    await store.updateBatchState(jobId, 'only', { batchId: 'only', status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    for (const r of records) await store.saveProcessedRecord(jobId, 'only', r);
    const sorted = (...s: string[]) => records.filter((r) => s.includes(r.status)).sort((a, b) => a.index - b.index);
    expect(await store.getPendingRecords(jobId)).toStrictEqual(sorted('pending', 'valid'));
    expect(await store.getFailedRecords(jobId)).toStrictEqual(sorted('failed', 'invalid'));
    expect(await store.getProcessedRecords(jobId)).toStrictEqual(sorted('processed'));
    // an empty processingError is a value, not an absence
    expect((await store.getFailedRecords(jobId)).filter((r) => r.status === 'failed').every((r) => r.processingError === '')).toBe(true);
    expect(await store.getProgress(jobId)).toStrictEqual({
      totalRecords: 12,
      processedRecords: sorted('processed').length,
      failedRecords: sorted('failed', 'invalid').length,
      pendingRecords: 12 - sorted('processed', 'failed', 'invalid').length,
      percentage: Math.round((sorted('processed', 'failed', 'invalid').length / 12) * 100),
      currentBatch: 0,
      totalBatches: 1,
      elapsedMs: 0, // no startedAt: nothing to measure from, and no estimate
    });
  });

  test('an unknown job: getJobState is null, getProgress is a NotFoundError, record getters are empty', async () => {
    const { store } = ctx;
    const jobId = `unknown-${randomUUID()}`;
    expect(await store.getJobState(jobId)).toBeNull();
    await expect(store.getProgress(jobId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.getProgress(jobId)).rejects.toThrow(jobId);
    expect(await store.getFailedRecords(jobId)).toStrictEqual([]);
    expect(await store.getPendingRecords(jobId)).toStrictEqual([]);
    expect(await store.getProcessedRecords(jobId)).toStrictEqual([]);
  });

  test('epoch-millisecond timestamps come back as the same numbers; absent ones stay absent', async () => {
    const { store } = ctx;
    const cases: Array<{ startedAt?: number; completedAt?: number }> = [
      { startedAt: 0, completedAt: 1 },
      { startedAt: STARTED_AT, completedAt: 8_640_000_000_000_000 }, // the last ms a Date can hold, > 2^52
      { startedAt: Number.MAX_SAFE_INTEGER },
      {},
    ];
    for (const times of cases) {
      const jobId = randomUUID();
      const saved: JobState = { id: jobId, config: { batchSize: 1 }, status: 'COMPLETED', batches: [], totalRecords: 0, ...times };
      await store.saveJobState(saved);
      const back = await store.getJobState(jobId);
      expect(back).toStrictEqual(saved);
      for (const key of ['startedAt', 'completedAt'] as const) {
        if (times[key] === undefined) expect(back).not.toHaveProperty(key);
        else expect(typeof back?.[key]).toBe('number');
      }
      const progress = await store.getProgress(jobId);
      if (times.startedAt !== undefined && times.completedAt !== undefined) {
        expect(progress.elapsedMs).toBe(times.completedAt - times.startedAt);
      }
      if (times.startedAt === undefined) expect(progress.elapsedMs).toBe(0);
    }
  });

  test('after a crash (batches reported only through updateBatchState), getJobState infers their indexes from the records', async () => {
    const { store } = ctx;
    const jobId = randomUUID();
    const size = 5;
    await store.saveJobState({ id: jobId, config: { batchSize: size }, status: 'PROCESSING', batches: [], totalRecords: 0, startedAt: STARTED_AT });
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const expected: Batch[] = [];
    for (let b = 0; b < 3; b++) {
      const id = ids[b] as string;
      await store.updateBatchState(jobId, id, { batchId: id, status: 'PROCESSING', processedCount: 0, failedCount: 0 });
      // the last batch is cut off by the crash after two records, saved in reverse order
      const indexes = b === 2 ? [b * size + 1, b * size] : Array.from({ length: size }, (_, k) => b * size + k);
      for (const i of indexes) {
        await store.saveProcessedRecord(jobId, id, { index: i, raw: { i }, parsed: { i }, status: i % 4 === 0 ? 'failed' : 'processed', errors: [] });
      }
      if (b < 2) {
        const failed = indexes.filter((i) => i % 4 === 0).length;
        await store.updateBatchState(jobId, id, { batchId: id, status: 'COMPLETED', processedCount: size - failed, failedCount: failed });
        expected.push({ id, index: b, status: 'COMPLETED', records: [], processedCount: size - failed, failedCount: failed });
      } else {
        expected.push({ id, index: b, status: 'PROCESSING', records: [], processedCount: 0, failedCount: 0 });
      }
    }
    // a batch started but with no record saved: its index cannot be known; the engine redoes it
    const empty = ids[3] as string;
    await store.updateBatchState(jobId, empty, { batchId: empty, status: 'PROCESSING', processedCount: 0, failedCount: 0 });

    const state = await store.getJobState(jobId);
    expect(state).toStrictEqual({
      id: jobId, config: { batchSize: size }, status: 'PROCESSING', totalRecords: 0, startedAt: STARTED_AT, batches: expected,
    });
    // what BatchEngine.restore derives: the completed batch indexes and their counts
    const completed = state?.batches.filter((b) => b.status === 'COMPLETED') ?? [];
    expect(completed.map((b) => b.index)).toStrictEqual([0, 1]);
    expect(completed.reduce((n, b) => n + b.processedCount + b.failedCount, 0)).toBe(2 * size);
    const progress = await store.getProgress(jobId);
    expect(progress).toMatchObject({ totalRecords: 2 * size + 2, processedRecords: 9, failedRecords: 3, currentBatch: 2, totalBatches: 4 });
  });

  test('the same edge input meets the same outcome on every dialect', async () => {
    const { store } = ctx;
    const longId = `j${'x'.repeat(254)}`;
    const big = 'é'.repeat(70_000);
    await store.saveJobState({ id: longId, config: { batchSize: 1 }, status: 'PROCESSING', batches: [], totalRecords: 1 });
    const record: ProcessedRecord = {
      index: 2_147_483_647, raw: { big, list: Array.from({ length: 2000 }, (_, k) => ({ k })) }, parsed: {}, status: 'failed',
      errors: [], processingError: big, retryCount: 2_147_483_647,
    };
    await store.saveProcessedRecord(longId, longId, record);
    expect(await store.getFailedRecords(longId)).toStrictEqual([record]);
    expect((await store.getJobState(longId))?.id).toBe(longId);

    const tooLong = `${longId}y`;
    await expect(store.saveJobState({ id: tooLong, config: { batchSize: 1 }, status: 'PROCESSING', batches: [], totalRecords: 0 }))
      .rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.saveProcessedRecord(longId, 'b', { ...record, index: -1 })).rejects.toThrow(/record\.index/);
    await expect(store.saveProcessedRecord(longId, 'b', { ...record, raw: { f: () => 1 } as unknown as RawRecord }))
      .rejects.toThrow(/record\.raw\.f/);
    expect(await store.getFailedRecords(longId)).toStrictEqual([record]);
  });
});
