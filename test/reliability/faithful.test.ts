/**
 * What must be stored faithfully, on every database: ids full of quotes,
 * semicolons and SQL; ids that differ only in case or trailing space; NUL
 * characters in every JSON column; a 70,000-character processingError; a
 * 10 MB record (or, where the server's packet limit refuses it, the same clear
 * error on both MariaDB drivers, with the connection still usable).
 */
import { QueryTypes } from 'sequelize';
import { PersistenceError, type SequelizeStateStore } from '../../src';
import type { JobState, ProcessedRecord } from '../../src/ports';
import { DATABASES, SQL_MODE_DATABASES, freshStore } from '../helpers/databases';
import { distributedJob, expectStoreError, isMysqlFamily, pendingRecord, rowCounts } from './helpers';

const NASTY = [
  `'; DROP TABLE x; --`,
  `"); DELETE FROM jobs; --`,
  `Robert'); DROP TABLE Students;--`,
  `back\\slash\\'quote\\\\`,
  `$1 $2 ? ?? :name @p0 %s %`,
  `\`backtick\` "double" 'single'`,
  `line\nbreak\ttab\r`,
  `_%_ LIKE wildcards %`,
  `ünïcødé 😀 中文 \u200b`,
  `0x41 /* comment */ -- comment`,
];

describe.each([...DATABASES, ...SQL_MODE_DATABASES].map((d) => [d.name, d] as const))('faithful storage on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  let store: SequelizeStateStore;
  beforeAll(async () => {
    ctx = await freshStore(db);
    store = ctx.store;
  });
  afterAll(async () => ctx?.drop());

  test('ids and worker ids full of quotes, semicolons and SQL are stored as given, through a whole distributed cycle', async () => {
    for (const [n, jobId] of NASTY.entries()) {
      const batchIds = [`${NASTY[(n + 1) % NASTY.length]}#0`, `${NASTY[(n + 2) % NASTY.length]}#1`];
      const workerId = NASTY[(n + 3) % NASTY.length] as string;
      for (const [i, b] of batchIds.entries()) await store.saveBatchRecords(jobId, b, [pendingRecord(i * 2), pendingRecord(i * 2 + 1)]);
      await store.saveJobState(distributedJob(jobId, batchIds, 2));
      for (let k = 0; k < batchIds.length; k++) {
        const claim = await store.claimBatch(jobId, workerId);
        if (!claim.claimed) throw new Error(`no claim: ${claim.reason}`);
        expect(claim.reservation).toMatchObject({ jobId, workerId, batchId: batchIds[k] });
        await store.heartbeatBatch(jobId, claim.reservation.batchId, workerId);
        const state = await store.getJobState(jobId);
        expect(state?.batches[k]).toMatchObject({ id: batchIds[k], workerId, status: 'PROCESSING' });
        for (const r of await store.getBatchRecords(jobId, claim.reservation.batchId)) {
          await store.saveProcessedRecord(jobId, claim.reservation.batchId, { ...r, status: 'processed' });
        }
        await store.updateBatchState(jobId, claim.reservation.batchId,
          { batchId: claim.reservation.batchId, status: 'COMPLETED', processedCount: 2, failedCount: 0 }, { workerId });
      }
      expect(await store.tryFinalizeJob(jobId)).toBe(true);
      const done = await store.getJobState(jobId);
      expect(done?.id).toBe(jobId);
      expect(done?.status).toBe('COMPLETED');
      expect(done?.batches.map((b) => b.id)).toEqual(batchIds);
      expect((await store.getProcessedRecords(jobId)).map((r) => r.index)).toEqual([0, 1, 2, 3]);
      expect((await store.getDistributedStatus(jobId)).isComplete).toBe(true);
    }
    // Nothing leaked across jobs and every table is still there.
    expect(await rowCounts(store)).toEqual({ jobs: NASTY.length, batches: NASTY.length * 2, records: NASTY.length * 4 });
    for (const jobId of NASTY) expect(await store.deleteJob(jobId)).toBe(true);
    expect(await rowCounts(store)).toEqual({ jobs: 0, batches: 0, records: 0 });
  });

  test('ids that differ only in case, accents or trailing space are different jobs, batches and workers', async () => {
    const ids = ['Job-A', 'job-a', 'job-a ', 'JOB-A', 'jöb-a', 'job-\u0061\u0301'];
    for (const [i, id] of ids.entries()) {
      await store.saveJobState({
        id, config: { batchSize: 1 }, status: 'PROCESSING', totalRecords: i,
        batches: [{ id: `B-${id}`, index: 0, status: 'PENDING', records: [], processedCount: i, failedCount: 0 },
          { id: `b-${id.toLowerCase()}`, index: 1, status: 'PENDING', records: [], processedCount: 0, failedCount: i }],
      });
      await store.saveProcessedRecord(id, `B-${id}`, { ...pendingRecord(0), raw: { owner: id } });
    }
    for (const [i, id] of ids.entries()) {
      const state = await store.getJobState(id);
      expect(state?.id).toBe(id);
      expect(state?.totalRecords).toBe(i);
      expect(state?.batches.map((b) => [b.id, b.processedCount, b.failedCount])).toEqual([[`B-${id}`, i, 0], [`b-${id.toLowerCase()}`, 0, i]]);
      expect((await store.getPendingRecords(id)).map((r) => r.raw.owner)).toEqual([id]);
    }
    // Workers 'W' and 'w' are different holders: one cannot release the other's batch.
    const job: JobState = distributedJob('case-job', ['c0'], 1);
    await store.saveBatchRecords('case-job', 'c0', [pendingRecord(0)]);
    await store.saveJobState(job);
    const claim = await store.claimBatch('case-job', 'W');
    expect(claim.claimed).toBe(true);
    await store.releaseBatch('case-job', 'c0', 'w');
    await store.releaseBatch('case-job', 'c0', 'W ');
    expect((await store.getJobState('case-job'))?.batches[0]).toMatchObject({ status: 'PROCESSING', workerId: 'W' });
  });

  test('NUL characters round-trip in raw, parsed, errors, processingError and config', async () => {
    const nul = 'a\u0000b\u0000';
    const record: ProcessedRecord = {
      index: 0,
      raw: { [`k${nul}`]: nul, nested: [nul, { deep: nul }] },
      parsed: { v: nul },
      status: 'failed',
      errors: [{ field: nul, message: `bad ${nul}`, code: 'CUSTOM_VALIDATION', value: nul, severity: 'error', suggestion: nul, metadata: { m: nul } }],
      processingError: `boom ${nul} end`,
      retryCount: 2,
    };
    await store.saveJobState({ id: 'nul-job', config: { batchSize: 5, schema: { fields: [{ name: nul, type: 'string', required: false, defaultValue: nul }] } },
      status: 'PROCESSING', batches: [], totalRecords: 1 });
    await store.saveProcessedRecord('nul-job', 'nb', record);
    expect(await store.getFailedRecords('nul-job')).toEqual([record]);
    expect(await store.getBatchRecords('nul-job', 'nb')).toEqual([record]);
    const state = await store.getJobState('nul-job');
    expect(state?.config.schema).toEqual({ fields: [{ name: nul, type: 'string', required: false, defaultValue: nul }] });
  });

  test('a 70,000-character processingError round-trips', async () => {
    const message = Array.from({ length: 7000 }, (_, i) => `err ${String(i).padStart(5, '0')}`).join('').padEnd(70_000, 'é').slice(0, 70_000);
    expect(message).toHaveLength(70_000);
    const record: ProcessedRecord = { ...pendingRecord(0), status: 'failed', processingError: message, retryCount: 3 };
    await store.saveProcessedRecord('long-error', 'lb', record);
    const [back] = await store.getFailedRecords('long-error');
    expect(back?.processingError).toBe(message);
    expect(back).toEqual(record);
  });

  test('a 10 MB record round-trips, or is refused with the same clear error on every MariaDB driver', async () => {
    // raw 10 MiB of text (a few quotes, backslashes, NULs), parsed a small
    // projection: fits every default server limit.
    const text = `${'0123456789 abcdefghijklmnopqrstuvwxyz '.repeat(32)}"\\\u0000\n`;
    const big = text.repeat(Math.ceil((10 * 1024 * 1024) / text.length)).slice(0, 10 * 1024 * 1024);
    const slim: ProcessedRecord = { index: 0, raw: { big }, parsed: { size: big.length }, status: 'processed', errors: [] };
    await store.saveProcessedRecord('big', 'bb', slim);
    const [backSlim] = await store.getBatchRecords('big', 'bb');
    expect((backSlim?.raw.big as string).length).toBe(big.length);
    expect(backSlim?.raw.big === big).toBe(true);

    // raw and parsed both 10 MB: a statement of more than 20 MB.
    const fat: ProcessedRecord = { index: 1, raw: { big }, parsed: { big }, status: 'processed', errors: [] };
    let limit = Infinity;
    if (isMysqlFamily(db)) {
      const [row] = await ctx.sequelize.query<{ n: unknown }>('SELECT @@max_allowed_packet AS n', { type: QueryTypes.SELECT });
      limit = Number(row?.n);
    }
    // JSON escaping and the wire protocol take the statement to ~40 MB here.
    if (limit >= 64 * 1024 * 1024) {
      await store.saveProcessedRecord('big', 'bb', fat);
      const [, backFat] = await store.getBatchRecords('big', 'bb');
      expect(backFat?.parsed.big === big).toBe(true);
    } else {
      const error = await expectStoreError(store.saveProcessedRecord('big', 'bb', fat), PersistenceError,
        { jobId: 'big', batchId: 'bb', recordIndex: 1 });
      expect(error.message).toMatch(/max_allowed_packet/);
      expect((await store.getBatchRecords('big', 'bb')).map((r) => r.index)).toEqual([0]);
      // The same store keeps working on the same pool.
      await store.saveProcessedRecord('big', 'bb', { ...pendingRecord(2), status: 'processed' });
      expect((await store.getBatchRecords('big', 'bb')).map((r) => r.index)).toEqual([0, 2]);
    }
  });

  test('a batch of large records is split into statements the server accepts, and lands whole', async () => {
    // 300 records of ~100 KB: ~30 MB for one batch, more than MariaDB's default packet.
    const chunk = 'x'.repeat(100 * 1024);
    const records = Array.from({ length: 300 }, (_, i) => ({ ...pendingRecord(i), raw: { i, chunk } }));
    await store.saveBatchRecords('wide', 'w0', records);
    const back = await store.getBatchRecords('wide', 'w0');
    expect(back).toHaveLength(300);
    expect(back.every((r, i) => r.index === i && r.raw.chunk === chunk)).toBe(true);
  });
});
