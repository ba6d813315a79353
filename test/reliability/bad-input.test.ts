/**
 * Bad input, on every database: each case is refused with an InvalidInputError
 * that names the job, batch, record index and field, and leaves what is stored
 * exactly as it was (the whole store is read back and compared).
 */
import { InvalidInputError, type SequelizeStateStore } from '../../src';
import type { JobState, ProcessedRecord } from '../../src/ports';
import { DATABASES, SQL_MODE_DATABASES, freshStore } from '../helpers/databases';
import { distributedJob, expectStoreError, pendingRecord, snapshot } from './helpers';

const JOB = 'job-base';
const SINGLE = 'job-single';
const BATCHES = ['b0', 'b1', 'b2'];
const SIZE = 4;
const LONG = 'x'.repeat(256);

function circular(): Record<string, unknown> {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

function singleJob(overrides: Partial<Record<keyof JobState, unknown>> = {}): JobState {
  return {
    id: SINGLE,
    config: { batchSize: SIZE },
    status: 'PROCESSING',
    batches: [{ id: 's0', index: 0, status: 'COMPLETED', records: [], processedCount: 2, failedCount: 0 }],
    totalRecords: 2,
    startedAt: 1_700_000_000_000,
    ...overrides,
  } as JobState;
}

function rec(overrides: Record<string, unknown>): ProcessedRecord {
  return { ...pendingRecord(1), status: 'processed', ...overrides } as ProcessedRecord;
}

function batchAt(i: number, overrides: Record<string, unknown>): JobState['batches'] {
  return distributedJob(JOB, BATCHES, SIZE).batches.map((b, n) => (n === i ? { ...b, ...overrides } : b)) as JobState['batches'];
}

type Call = (s: SequelizeStateStore) => Promise<unknown>;
/** [name, call, expected error context] */
type Case = [string, Call, Record<string, unknown>];

const anyStore = (s: SequelizeStateStore): Record<string, (...args: unknown[]) => Promise<unknown>> =>
  s as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

const idCases: Case[] = [
  ['empty job id (saveJobState)', (s) => s.saveJobState(singleJob({ id: '' })), { field: 'job.id' }],
  ['over-long job id (saveJobState)', (s) => s.saveJobState(singleJob({ id: LONG })), { field: 'job.id' }],
  ['numeric job id (saveJobState)', (s) => s.saveJobState(singleJob({ id: 42 })), { field: 'job.id' }],
  ['job id with NUL (saveJobState)', (s) => s.saveJobState(singleJob({ id: 'a\u0000b' })), { field: 'job.id' }],
  ['job id with lone surrogate', (s) => s.saveJobState(singleJob({ id: 'a\ud800' })), { field: 'job.id' }],
  ['empty batch id in job', (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(1, { id: '' }) }),
    { jobId: JOB, field: 'job.batches[1].id' }],
  ['over-long batch id in job', (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(2, { id: LONG }) }),
    { jobId: JOB, batchId: LONG, field: 'job.batches[2].id' }],
  ['numeric batch id in job', (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(0, { id: 7 }) }),
    { jobId: JOB, field: 'job.batches[0].id' }],
  ['duplicate batch id in job', (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(2, { id: 'b0' }) }),
    { jobId: JOB, batchId: 'b0', field: 'job.batches' }],
  ['empty job id (saveProcessedRecord)', (s) => s.saveProcessedRecord('', 'b0', rec({})), { field: 'jobId', recordIndex: 1 }],
  ['over-long job id (saveProcessedRecord)', (s) => s.saveProcessedRecord(LONG, 'b0', rec({})), { field: 'jobId' }],
  ['null job id (saveProcessedRecord)', (s) => anyStore(s).saveProcessedRecord!(null, 'b0', rec({})), { field: 'jobId' }],
  ['empty batch id (saveProcessedRecord)', (s) => s.saveProcessedRecord(JOB, '', rec({})), { jobId: JOB, field: 'batchId', recordIndex: 1 }],
  ['object batch id (saveBatchRecords)', (s) => anyStore(s).saveBatchRecords!(JOB, { id: 'b0' }, [rec({})]), { jobId: JOB, field: 'batchId' }],
  ['empty worker id (claimBatch)', (s) => s.claimBatch(JOB, ''), { jobId: JOB, field: 'workerId' }],
  ['over-long worker id (claimBatch)', (s) => s.claimBatch(JOB, LONG), { jobId: JOB, field: 'workerId' }],
  ['numeric worker id (claimBatch)', (s) => anyStore(s).claimBatch!(JOB, 12), { jobId: JOB, field: 'workerId' }],
  ['worker id with NUL (claimBatch)', (s) => s.claimBatch(JOB, 'w\u0000'), { jobId: JOB, field: 'workerId' }],
  ['empty worker id (releaseBatch)', (s) => s.releaseBatch(JOB, 'b0', ''), { jobId: JOB, batchId: 'b0', field: 'workerId' }],
  ['over-long worker id (heartbeatBatch)', (s) => s.heartbeatBatch(JOB, 'b0', LONG), { jobId: JOB, batchId: 'b0', field: 'workerId' }],
  ['over-long fencing worker id (updateBatchState)',
    (s) => s.updateBatchState(JOB, 'b0', { batchId: 'b0', status: 'COMPLETED', processedCount: 1, failedCount: 0 }, { workerId: LONG }),
    { jobId: JOB, batchId: 'b0', field: 'options.workerId' }],
  ['empty batch id (updateBatchState)', (s) => s.updateBatchState(JOB, '', { batchId: '', status: 'COMPLETED', processedCount: 0, failedCount: 0 }),
    { jobId: JOB, field: 'batchId' }],
  ['over-long job id (getJobState)', (s) => s.getJobState(LONG), { field: 'jobId' }],
  ['undefined job id (getProgress)', (s) => anyStore(s).getProgress!(undefined), { field: 'jobId' }],
  ['empty job id (reclaimStaleBatches)', (s) => s.reclaimStaleBatches('', 1000), { field: 'jobId' }],
  ['empty job id (tryFinalizeJob)', (s) => s.tryFinalizeJob(''), { field: 'jobId' }],
  ['over-long job id (deleteJob)', (s) => s.deleteJob(LONG), { field: 'jobId' }],
];

const jsonCases: Case[] = [
  ['BigInt in raw', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: { n: 10n } })), { jobId: JOB, batchId: 'b0', recordIndex: 1, field: 'record.raw.n' }],
  ['function in raw', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: { f: () => 1 } })), { recordIndex: 1, field: 'record.raw.f' }],
  ['symbol in parsed', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ parsed: { s: Symbol('x') } })), { recordIndex: 1, field: 'record.parsed.s' }],
  ['circular raw', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: circular() })), { recordIndex: 1, field: 'record.raw.self' }],
  ['NaN in parsed', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ parsed: { x: NaN } })), { field: 'record.parsed.x' }],
  ['Infinity in raw', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: { deep: [1, { y: Infinity }] } })), { field: 'record.raw.deep[1].y' }],
  ['-Infinity in errors', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ errors: [{ field: 'a', message: 'm', code: 'REQUIRED', value: -Infinity }] })),
    { field: 'record.errors[0].value' }],
  ['Map in raw', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: { m: new Map([['a', 1]]) } })), { field: 'record.raw.m' }],
  ['Set in parsed', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ parsed: { s: new Set([1]) } })), { field: 'record.parsed.s' }],
  ['undefined inside an array', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: { a: [1, undefined] } })), { field: 'record.raw.a[1]' }],
  ['BigInt in error metadata', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ errors: [{ field: 'a', message: 'm', code: 'REQUIRED', metadata: { n: 1n } }] })),
    { field: 'record.errors[0].metadata.n' }],
  ['circular error metadata', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ errors: [{ field: 'a', message: 'm', code: 'REQUIRED', metadata: circular() }] })),
    { field: 'record.errors[0].metadata.self' }],
  ['errors not an array', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ errors: { field: 'a' } })), { field: /^record\.errors/ }],
  ['raw not an object', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: 'text' })), { field: 'record.raw' }],
  ['numeric processingError', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ processingError: 500 })), { field: /^record\.processingError/ }],
  ['record is null', (s) => anyStore(s).saveProcessedRecord!(JOB, 'b0', null), { jobId: JOB, field: 'record' }],
  ['lone surrogate in raw value', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: { name: 'ab\ud83d' } })), { field: 'record.raw.name' }],
  ['lone surrogate in raw key', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ raw: { ['k\udc00']: 1 } })), { field: /^record\.raw\[/ }],
  ['lone surrogate in error message', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ errors: [{ field: 'a', message: '\udfff', code: 'REQUIRED' }] })),
    { field: 'record.errors[0].message' }],
  ['lone surrogate in processingError', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ processingError: 'boom \ud800' })), { field: 'record.processingError' }],
  ['BigInt in config', (s) => s.saveJobState(singleJob({ config: { batchSize: SIZE, limit: 5n } })), { jobId: SINGLE, field: 'job.config.limit' }],
  ['circular config', (s) => s.saveJobState(singleJob({ config: { batchSize: SIZE, schema: circular() } })), { jobId: SINGLE, field: /^job\.config\.schema\.self/ }],
  ['NaN in config', (s) => s.saveJobState(singleJob({ config: { batchSize: SIZE, retryDelayMs: NaN } })), { jobId: SINGLE, field: 'job.config.retryDelayMs' }],
  ['Map in config schema', (s) => s.saveJobState(singleJob({ config: { batchSize: SIZE, schema: { fields: [{ name: 'a', type: 'string', aliases: new Map() }] } } })),
    { jobId: SINGLE, field: 'job.config.schema.fields[0].aliases' }],
  ['symbol in config', (s) => s.saveJobState(singleJob({ config: { batchSize: SIZE, tag: Symbol('t') } })), { jobId: SINGLE, field: 'job.config.tag' }],
  ['lone surrogate in config', (s) => s.saveJobState(singleJob({ config: { batchSize: SIZE, note: '\ud800' } })), { jobId: SINGLE, field: 'job.config.note' }],
];

const numberCases: Case[] = [];
for (const [label, v] of [['negative', -1], ['fractional', 1.5], ['NaN', NaN], ['Infinity', Infinity], ['string', '3'], ['above 2^31-1', 2 ** 31]] as const) {
  numberCases.push(
    [`${label} processedCount (updateBatchState)`,
      (s) => s.updateBatchState(JOB, 'b0', { batchId: 'b0', status: 'COMPLETED', processedCount: v as number, failedCount: 0 }),
      { jobId: JOB, batchId: 'b0', field: 'state.processedCount' }],
    [`${label} failedCount (updateBatchState)`,
      (s) => s.updateBatchState(JOB, 'b1', { batchId: 'b1', status: 'FAILED', processedCount: 0, failedCount: v as number }),
      { jobId: JOB, batchId: 'b1', field: 'state.failedCount' }],
    [`${label} record index`, (s) => s.saveProcessedRecord(JOB, 'b0', rec({ index: v })), { jobId: JOB, batchId: 'b0', field: 'record.index' }],
    [`${label} retryCount`, (s) => s.saveProcessedRecord(JOB, 'b0', rec({ retryCount: v })), { recordIndex: 1, field: 'record.retryCount' }],
    [`${label} totalRecords`, (s) => s.saveJobState(singleJob({ totalRecords: v })), { jobId: SINGLE, field: 'job.totalRecords' }],
    [`${label} batchSize`, (s) => s.saveJobState(singleJob({ config: { batchSize: v } })), { jobId: SINGLE, field: 'job.config.batchSize' }],
    [`${label} batch index in job`, (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(1, { index: v }) }),
      { jobId: JOB, batchId: 'b1', field: 'job.batches[1].index' }],
    [`${label} batch processedCount in job`, (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(2, { processedCount: v }) }),
      { jobId: JOB, batchId: 'b2', field: 'job.batches[2].processedCount' }],
    [`${label} recordStartIndex in job`, (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(0, { recordStartIndex: v }) }),
      { jobId: JOB, batchId: 'b0', field: 'job.batches[0].recordStartIndex' }],
  );
}
for (const [label, v] of [['negative', -1], ['NaN', NaN], ['Infinity', Infinity], ['string', '1000'], ['null', null]] as const) {
  numberCases.push([`${label} timeout (reclaimStaleBatches)`, (s) => s.reclaimStaleBatches(JOB, v as number), { jobId: JOB, field: 'timeoutMs' }]);
}
for (const [label, v] of [['negative', -5], ['fractional', 1.5], ['NaN', NaN]] as const) {
  numberCases.push([`${label} startedAt`, (s) => s.saveJobState(singleJob({ startedAt: v })), { jobId: SINGLE, field: 'job.startedAt' }]);
}
numberCases.push(['recordEndIndex before recordStartIndex', (s) => s.saveJobState({
  ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(1, { recordStartIndex: 10, recordEndIndex: 9 }),
}), { jobId: JOB, batchId: 'b1', field: /^job\.batches\[1\]\.recordEndIndex/ }]);

const statusCases: Case[] = [
  ['lower-case job status', (s) => s.saveJobState(singleJob({ status: 'processing' })), { jobId: SINGLE, field: 'job.status' }],
  ['unknown job status', (s) => s.saveJobState(singleJob({ status: 'DONE' })), { jobId: SINGLE, field: 'job.status' }],
  ['missing job status', (s) => s.saveJobState(singleJob({ status: undefined })), { jobId: SINGLE, field: 'job.status' }],
  ['unknown batch status in job', (s) => s.saveJobState({ ...distributedJob(JOB, BATCHES, SIZE), batches: batchAt(2, { status: 'RUNNING' }) }),
    { jobId: JOB, batchId: 'b2', field: 'job.batches[2].status' }],
  ['lower-case batch status (updateBatchState)', (s) => s.updateBatchState(JOB, 'b0', { batchId: 'b0', status: 'completed' as never, processedCount: 0, failedCount: 0 }),
    { jobId: JOB, batchId: 'b0', field: 'state.status' }],
  ['job status as batch status (updateBatchState)', (s) => s.updateBatchState(JOB, 'b0', { batchId: 'b0', status: 'ABORTED' as never, processedCount: 0, failedCount: 0 }),
    { jobId: JOB, batchId: 'b0', field: 'state.status' }],
  ['upper-case record status', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ status: 'PROCESSED' })), { recordIndex: 1, field: 'record.status' }],
  ['unknown record status', (s) => s.saveProcessedRecord(JOB, 'b0', rec({ status: 'ok' })), { recordIndex: 1, field: 'record.status' }],
  ['state.batchId differing from batchId', (s) => s.updateBatchState(JOB, 'b0', { batchId: 'b1', status: 'COMPLETED', processedCount: 0, failedCount: 0 }),
    { jobId: JOB, batchId: 'b0', field: 'state.batchId' }],
  ['records not an array (saveBatchRecords)', (s) => anyStore(s).saveBatchRecords!(JOB, 'b0', { 0: rec({}) }), { jobId: JOB, batchId: 'b0', field: /^records/ }],
];

describe.each([...DATABASES, ...SQL_MODE_DATABASES].map((d) => [d.name, d] as const))('bad input on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  let before: unknown;

  beforeAll(async () => {
    ctx = await freshStore(db);
    const { store } = ctx;
    for (const [i, b] of BATCHES.entries()) {
      await store.saveBatchRecords(JOB, b, Array.from({ length: SIZE }, (_, k) => pendingRecord(i * SIZE + k)));
    }
    await store.saveJobState(distributedJob(JOB, BATCHES, SIZE));
    const claim = await store.claimBatch(JOB, 'worker-0');
    expect(claim.claimed).toBe(true);
    await store.saveJobState(singleJob());
    await store.saveProcessedRecord(SINGLE, 's0', rec({ index: 0, status: 'processed', retryCount: 1 }));
    await store.saveProcessedRecord(SINGLE, 's0', rec({
      index: 1, status: 'failed', processingError: 'boom',
      errors: [{ field: 'name', message: 'bad', code: 'CUSTOM_VALIDATION', severity: 'warning' }],
    }));
    before = await snapshot(store, [JOB, SINGLE]);
  });
  afterAll(async () => ctx?.drop());

  for (const [group, cases] of [['ids', idCases], ['values JSON cannot hold', jsonCases], ['counts and timeouts', numberCases], ['statuses', statusCases]] as const) {
    describe(group, () => {
      test.each(cases.map((c) => [c[0], c] as const))('%s is refused and changes nothing', async (_label, [, call, context]) => {
        const error = await expectStoreError(call(ctx.store), InvalidInputError, context);
        // The message names the field too, for logs that only keep messages.
        expect(error.message).toContain(String(error.context.field).split(/[[.(]/)[0]);
        expect(await snapshot(ctx.store, [JOB, SINGLE])).toEqual(before);
      });
    });
  }
});
