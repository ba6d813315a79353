/**
 * The store runs its statements through the driver on Sequelize's pooled
 * connections, not through `sequelize.query()` (bench/NOTES.md, finding 5).
 * This keeps that choice measured: the store's own statement texts (built
 * by its SQL builders and dialect adapter) run through `sequelize.query()`
 * with bind parameters, next to the store and the raw driver, for the hot
 * operations: saveProcessedRecord's upsert, a claim+complete+finalize cycle,
 * a batch state update.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { RECORD_WRITE_KEYS, RecordMapper } from '../../src';
import { valuesOf } from '../../src/mappers/rows';
import { dialectFor, type Dialect } from '../../src/store/dialects';
import {
  claimReturning, claimSelect, claimUpdate, finalizeCheck, finalizeJob, selectJobHead, sqlTarget, Statements, updateBatch, upsertRecords,
} from '../../src/store/sql';
import { rawCycle, storeCycle } from '../lib/cycles';
import { compare, createJob, rate, uid, type Ctx } from '../lib/measure';
import { recordParams } from '../lib/raw';
import { dropJob, processedRecord } from '../lib/setup';
import { cycleMethod, seedCycleJob } from './cycle';
import type { Scenario } from './scenario';

const LABEL = 'sequelize.query() with bind';

/** The store's statements, run through `sequelize.query()` the way the store runs them through the driver. */
class QueryPath {
  private readonly dialect: Dialect;
  private readonly s: Statements;
  /** The store reads the progress counters where the dialect keeps them (its tables were initialized). */
  private readonly counters: boolean;

  constructor(private readonly sequelize: Sequelize, ctx: Ctx) {
    const dialect = dialectFor(sequelize.getDialect());
    if (!dialect) throw new Error(`no dialect adapter for ${sequelize.getDialect()}`);
    this.dialect = dialect;
    this.s = new Statements(sqlTarget(dialect, ctx.store.tables));
    this.counters = ctx.store.tables.progress !== undefined;
  }

  private rows<T>(sql: string, bind: unknown[], transaction?: Transaction): Promise<T[]> {
    return this.sequelize.query(sql, { bind, type: QueryTypes.SELECT, transaction }) as Promise<T[]>;
  }

  /** Rows a write changed (RAW: [results, metadata]; the count's place differs by dialect). */
  private async exec(sql: string, bind: unknown[], transaction?: Transaction): Promise<void> {
    await this.sequelize.query(sql, { bind, type: QueryTypes.RAW, transaction });
  }

  /** saveProcessedRecord without write-behind: the record checked and encoded, one upsert. */
  async saveRecord(jobId: string, batchId: string, record: ReturnType<typeof processedRecord>): Promise<void> {
    const row = RecordMapper.toRow(jobId, batchId, record, 'saveProcessedRecord');
    await this.exec(this.s.get(upsertRecords, 1), valuesOf(row, RECORD_WRITE_KEYS));
  }

  async updateBatch(jobId: string, batchId: string, status: string, processed: number, failed: number): Promise<void> {
    await this.exec(this.s.get(updateBatch, false, status === 'PENDING'), [jobId, batchId, status, processed, failed]);
  }

  /** claimBatch → updateBatchState(COMPLETED) → tryFinalizeJob with the store's statements; `false` when nothing was left. */
  async cycle(jobId: string, workerId: string): Promise<boolean> {
    const d = this.dialect;
    let batchId: string | undefined;
    if (d.updateReturning) {
      [batchId] = (await this.rows<{ batchId: string }>(this.s.get(claimReturning), [jobId, workerId])).map((r) => r.batchId);
    } else {
      batchId = await this.sequelize.transaction(async (t) => {
        const [row] = await this.rows<{ batchId: string; claimedAt: unknown }>(this.s.get(claimSelect), [jobId], t);
        if (row) await this.exec(this.s.get(claimUpdate), [jobId, row.batchId, workerId, Number(row.claimedAt)], t);
        return row?.batchId;
      });
    }
    if (batchId === undefined) return false;
    await this.updateBatch(jobId, batchId, 'COMPLETED', 500, 0);
    if (!d.lockBeforeCheck) {
      await this.exec(this.s.get(finalizeJob), [jobId]);
      return true;
    }
    const [head] = await this.rows<{ status: string; anyBatch: unknown; unfinished: unknown }>(this.s.get(finalizeCheck, this.counters), [jobId]);
    const yes = (v: unknown): boolean => v === true || Number(v) === 1;
    if (head && head.status === 'PROCESSING' && yes(head.anyBatch) && !yes(head.unfinished)) {
      await this.sequelize.transaction(async (t) => {
        await this.rows(this.s.get(selectJobHead, true), [jobId], t);
        await this.exec(this.s.get(finalizeJob), [jobId], t);
      });
    }
    return true;
  }
}

export const sequelizeQuery: Scenario = {
  id: 'sequelizeQuery',
  measures: 'the store\'s hot statements three ways: the store (driver on Sequelize\'s pooled connections), the same statement texts through sequelize.query() with bind parameters, and the raw driver',
  storeSide: 'store.saveProcessedRecord; claimBatch → updateBatchState → tryFinalizeJob; updateBatchState',
  limitSide: 'hand-written SQL on a raw driver connection (single-row upsert; the raw cycle; one UPDATE)',
  async run(ctx) {
    const q = new QueryPath(ctx.sequelize, ctx);
    const n = ctx.size.queryCalls;
    const records = Array.from({ length: n }, (_, i) => processedRecord(i));
    const upsert = ctx.sql.upsertRecords(1);
    const newJob = async (): Promise<string> => { const id = uid('sq'); await createJob(ctx, id, false); return id; };
    // Warm all three paths up untimed.
    const warm = await newJob();
    for (const r of records.slice(0, 300)) {
      await ctx.store.saveProcessedRecord(warm, 'b0', r);
      await q.saveRecord(warm, 'b1', { ...r, index: r.index + 1_000_000 });
      await ctx.raw.run(upsert, recordParams(warm, 'b2', { ...r, index: r.index + 2_000_000 }));
    }
    await dropJob(ctx.raw, ctx.store.tables, warm);
    await compare(
      ctx,
      { id: 'query:saveProcessedRecord', operation: `saveProcessedRecord's upsert, sequential (${n} calls)`, unit: 'records/s',
        runs: ctx.options.shortRuns, limitMethod: 'one single-row upsert per record on a raw driver connection' },
      newJob,
      (jobId) => rate(n, async () => { for (const r of records) await ctx.store.saveProcessedRecord(jobId, 'b0', r); }),
      (jobId) => rate(n, async () => { for (const r of records) await ctx.raw.run(upsert, recordParams(jobId, 'b0', r)); }),
      [{ label: LABEL, method: 'RecordMapper.toRow + sequelize.query(upsertRecords(1), { bind })',
        run: (jobId) => rate(n, async () => { for (const r of records) await q.saveRecord(jobId, 'b0', r); }) }],
    );
    const cycles = ctx.size.cycleJob;
    await compare(
      ctx,
      { id: 'query:cycle', operation: `claim+complete+finalize, 1 worker, job of ${cycles} batches (all)`, unit: 'cycles/s',
        runs: ctx.options.shortRuns, limitMethod: cycleMethod(ctx) },
      () => seedCycleJob(ctx, 'sqc', cycles, 0),
      (jobId) => rate(cycles, async () => { for (let i = 0; i < cycles; i++) if (!(await storeCycle(ctx.store, jobId, 'w1'))) throw new Error('store: nothing to claim'); }),
      (jobId) => rate(cycles, async () => { for (let i = 0; i < cycles; i++) if (!(await rawCycle(ctx.raw, ctx.sql, jobId, 'w1'))) throw new Error('raw: nothing to claim'); }),
      [{ label: LABEL, method: 'the store\'s claim, batch update and finalize statements (and transactions) through sequelize.query() / sequelize.transaction()',
        run: (jobId) => rate(cycles, async () => { for (let i = 0; i < cycles; i++) if (!(await q.cycle(jobId, 'w1'))) throw new Error('query: nothing to claim'); }) }],
    );
    const batches = 100;
    await compare(
      ctx,
      { id: 'query:updateBatchState', operation: `updateBatchState of a batch no worker of this store holds, sequential (${n} calls)`, unit: 'calls/s',
        runs: ctx.options.shortRuns, limitMethod: 'one UPDATE of the batch row' },
      () => seedCycleJob(ctx, 'squ', batches, 0),
      (jobId) => rate(n, async () => {
        for (let i = 0; i < n; i++) {
          const batchId = `${jobId}-b${i % batches}`;
          await ctx.store.updateBatchState(jobId, batchId, { batchId, status: 'PROCESSING', processedCount: i, failedCount: 0 });
        }
      }),
      (jobId) => rate(n, async () => {
        for (let i = 0; i < n; i++) await ctx.raw.run(ctx.sql.updateBatch(), ['PROCESSING', i, 0, jobId, `${jobId}-b${i % batches}`]);
      }),
      [{ label: LABEL, method: 'sequelize.query(updateBatch, { bind })',
        run: (jobId) => rate(n, async () => { for (let i = 0; i < n; i++) await q.updateBatch(jobId, `${jobId}-b${i % batches}`, 'PROCESSING', i, 0); }) }],
    );
  },
};
