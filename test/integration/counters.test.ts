/**
 * PostgreSQL's progress counters (src/store/dialects/postgresCounters.ts):
 * statement triggers keep per-job batch aggregates that `getProgress` and
 * `listJobs` read instead of the batch rows. They must equal the aggregate
 * over the batch rows in every snapshot — under many workers on their own
 * connections, after a backfill, after deletes — and a store on tables
 * without them must still answer right.
 */
import 'reflect-metadata';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createMigrator, migrate, migrationDdl, SequelizeStateStore } from '../../src';
import { postgresCounters } from '../../src/store/dialects/postgresCounters';
import { expectExactProgress } from '../engine/oracle';
import { DATABASES, freshStore, uniquePrefix } from '../helpers/databases';
import { distributedJob, pendingRecord } from '../reliability/helpers';
import { connect, dropTables } from './support';

const found = DATABASES.find((d) => d.name === 'postgres');
const SIZE = 3;

type Row = { status: string; fresh: number; n: number; p: number; f: number; s: number };

/** The job's groups from the counters and from the batch rows, read in one snapshot. */
async function bothAggregates(sequelize: Sequelize, store: SequelizeStateStore, jobId: string): Promise<{ counters: Row[]; batches: Row[] }> {
  const t = store.tables;
  return sequelize.transaction({ isolationLevel: 'REPEATABLE READ' as never }, async (transaction) => {
    const read = (sql: string): Promise<Row[]> => sequelize.query<Row>(sql, { bind: [jobId], type: QueryTypes.SELECT, transaction });
    const counters = await read(`SELECT status, fresh::int AS fresh, SUM(n)::int AS n, SUM(processed)::int AS p, SUM(failed)::int AS f, SUM(size)::int AS s`
      + ` FROM ${t.progress} WHERE job_id = $1 GROUP BY status, fresh HAVING SUM(n) <> 0 ORDER BY status, fresh`);
    const batches = await read(`SELECT status, (CASE WHEN version = 0 THEN 1 ELSE 0 END)::int AS fresh, COUNT(*)::int AS n,`
      + ' SUM(processed_count)::int AS p, SUM(failed_count)::int AS f,'
      + ' SUM(COALESCE(record_end_index - record_start_index + 1, processed_count + failed_count))::int AS s'
      + ` FROM ${t.batches} WHERE job_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`);
    return { counters, batches };
  });
}

async function expectCountersExact(sequelize: Sequelize, store: SequelizeStateStore, jobId: string): Promise<void> {
  const { counters, batches } = await bothAggregates(sequelize, store, jobId);
  expect(counters).toEqual(batches);
}

async function countersPresent(sequelize: Sequelize, store: SequelizeStateStore, prefix: string): Promise<boolean> {
  const at = { batches: store.tables.batches, progress: store.tables.progress as string, prefix };
  const [row] = await sequelize.query<{ ok: boolean }>(postgresCounters.present(at), { type: QueryTypes.SELECT });
  return row?.ok === true;
}

async function distributed(store: SequelizeStateStore, jobId: string, batches: number): Promise<void> {
  const ids = Array.from({ length: batches }, (_, i) => `${jobId}-b${i}`);
  await store.saveJobState(distributedJob(jobId, ids, SIZE));
  for (const [i, id] of ids.entries()) await store.saveBatchRecords(jobId, id, Array.from({ length: SIZE }, (_, k) => pendingRecord(i * SIZE + k)));
}

// Left out of the run without PG_URL (jest.config.js).
const db = found as NonNullable<typeof found>;

describe('progress counters on postgres', () => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    ctx = await freshStore(db);
  });
  afterAll(async () => ctx?.drop());

  test('eight workers on their own connections claim, report, pause, release and reclaim: the counters equal the batch rows in every snapshot', async () => {
    const jobId = 'c-many';
    await distributed(ctx.store, jobId, 60);
    const workers = await Promise.all(Array.from({ length: 8 }, async () => {
      const sequelize = db.connect({ poolMax: 2 });
      const store = new SequelizeStateStore(sequelize, { tablePrefix: ctx.prefix, leaseRenewalMs: 0 });
      await store.initialize(); // eight at once: the counters exist already, nothing is rebuilt
      return { sequelize, store };
    }));
    let done = false;
    const mismatches: unknown[] = [];
    const reader = (async () => {
      while (!done) {
        const { counters, batches } = await bothAggregates(ctx.sequelize, ctx.store, jobId);
        if (JSON.stringify(counters) !== JSON.stringify(batches)) mismatches.push({ counters, batches });
      }
    })();
    try {
      await Promise.all(workers.map(async ({ store }, w) => {
        for (let turn = 0; ; turn++) {
          if (turn > 1000) throw new Error(`worker ${w} did not see every batch finished or paused`);
          const claim = await store.claimBatch(jobId, `w${w}`);
          if (!claim.claimed) {
            const status = await store.getDistributedStatus(jobId);
            if (status.pendingBatches + status.processingBatches === 0) return;
            // Batches left held come back after 100 ms (workers wait that long between tries).
            if ((await store.reclaimStaleBatches(jobId, 100)) === 0) await new Promise((r) => setTimeout(r, 20));
            continue;
          }
          const { batchId, recordStartIndex } = claim.reservation;
          await store.saveProcessedRecord(jobId, batchId, { ...pendingRecord(recordStartIndex), status: 'processed' });
          const action = (turn + w) % 5;
          if (action === 0) await store.releaseBatch(jobId, batchId, `w${w}`);
          else if (action === 1) continue; // left held: a worker reclaims it
          else if (action === 2) {
            await store.updateBatchState(jobId, batchId, { batchId, status: 'PAUSED', processedCount: 1, failedCount: 0 }, { workerId: `w${w}` })
              .catch((error: Error) => {
                if (error.name !== 'LeaseLostError') throw error; // reclaimed meanwhile by another worker
              });
          } else {
            await store.saveProcessedRecord(jobId, batchId, { ...pendingRecord(recordStartIndex + 1), status: 'processed' });
            await store.saveProcessedRecord(jobId, batchId, { ...pendingRecord(recordStartIndex + 2), status: 'failed' });
            const status = action === 3 ? 'FAILED' : 'COMPLETED';
            await store.updateBatchState(jobId, batchId, { batchId, status, processedCount: SIZE - 1, failedCount: 1 }, { workerId: `w${w}` })
              .catch((error: Error) => {
                if (error.name !== 'LeaseLostError') throw error; // reclaimed meanwhile by another worker
              });
          }
        }
      }));
    } finally {
      done = true;
      await reader;
      for (const { store, sequelize } of workers) {
        await store.close();
        await sequelize.close();
      }
    }
    expect(mismatches).toEqual([]);
    await expectCountersExact(ctx.sequelize, ctx.store, jobId);
    const batches = await ctx.store.listBatches(jobId);
    expect(batches.filter((b) => b.status === 'PENDING' || b.status === 'PROCESSING')).toEqual([]);
    for (const status of ['COMPLETED', 'FAILED', 'PAUSED']) expect(batches.some((b) => b.status === status)).toBe(true);
    await expectExactProgress(ctx.store, jobId, 'every batch finished or paused');
  });

  test('a renewal writes no counter row; a claim does', async () => {
    const jobId = 'c-renew';
    await distributed(ctx.store, jobId, 2);
    const claim = await ctx.store.claimBatch(jobId, 'w');
    if (!claim.claimed) throw new Error('expected a claim');
    // A counter row that is written gets a new version (ctid, xmin); one that is not keeps it.
    const versions = async (): Promise<string> => JSON.stringify(await ctx.sequelize.query(
      `SELECT ctid::text AS c, xmin::text AS x FROM ${ctx.store.tables.progress} WHERE job_id = $1 ORDER BY 1`,
      { bind: [jobId], type: QueryTypes.SELECT },
    ));
    const t = ctx.store.tables.batches;
    const before = await versions();
    await ctx.store.heartbeatBatch(jobId, claim.reservation.batchId, 'w');
    await ctx.sequelize.query(`UPDATE ${t} SET renewed_at = 1, version = version + 1 WHERE job_id = $1 AND status = 'PROCESSING'`, { bind: [jobId] });
    expect(await versions()).toBe(before);
    const other = await ctx.store.claimBatch(jobId, 'w');
    expect(other.claimed).toBe(true);
    expect(await versions()).not.toBe(before);
  });

  test('counts near the INTEGER limit: the batch write lands and the counters add them in BIGINT', async () => {
    const jobId = 'c-big';
    const big = 2_000_000_000;
    await ctx.store.saveJobState({
      id: jobId, config: { batchSize: 1 }, status: 'PROCESSING', totalRecords: 0,
      batches: [0, 1].map((index) => ({ id: `big-${index}`, index, status: 'COMPLETED', records: [], processedCount: big, failedCount: big })),
    });
    const [row] = await ctx.sequelize.query<{ n: string; p: string; f: string; s: string }>(
      `SELECT SUM(n)::text AS n, SUM(processed)::text AS p, SUM(failed)::text AS f, SUM(size)::text AS s FROM ${ctx.store.tables.progress} WHERE job_id = $1`,
      { bind: [jobId], type: QueryTypes.SELECT },
    );
    expect(row).toEqual({ n: '2', p: '4000000000', f: '4000000000', s: '8000000000' });
  });

  test('a writer whose search_path leaves out the tables\' schema still counts in the store\'s counters', async () => {
    const jobId = 'c-path';
    await distributed(ctx.store, jobId, 3);
    const [{ schema }] = await ctx.sequelize.query<{ schema: string }>('SELECT current_schema() AS schema', { type: QueryTypes.SELECT }) as [{ schema: string }];
    const batches = `"${schema}".${ctx.store.tables.batches}`;
    await ctx.sequelize.transaction(async (transaction) => {
      // The trigger functions name the counters table unqualified, as the store does without a schema option.
      await ctx.sequelize.query('SET LOCAL search_path = pg_catalog', { transaction });
      await ctx.sequelize.query(`UPDATE ${batches} SET status = 'COMPLETED', processed_count = 2, failed_count = 1, version = version + 1 WHERE job_id = $1 AND batch_index = 1`,
        { bind: [jobId], transaction });
    });
    await expectCountersExact(ctx.sequelize, ctx.store, jobId);
    expect(await ctx.store.getProgress(jobId)).toMatchObject({ processedRecords: 2, failedRecords: 1, currentBatch: 1 });
  });

  test('deleting a job removes its counter rows; truncating the batches table empties them', async () => {
    const jobId = 'c-delete';
    await distributed(ctx.store, jobId, 4);
    const rows = async (id?: string): Promise<number> => {
      const [row] = await ctx.sequelize.query<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM ${ctx.store.tables.progress}${id ? ' WHERE job_id = $1' : ''}`,
        { bind: id ? [id] : [], type: QueryTypes.SELECT },
      );
      return row?.n ?? 0;
    };
    expect(await rows(jobId)).toBeGreaterThan(0);
    expect(await ctx.store.deleteJob(jobId)).toBe(true);
    expect(await rows(jobId)).toBe(0);
    await ctx.sequelize.query(`TRUNCATE ${ctx.store.tables.batches}`);
    expect(await rows()).toBe(0);
  });
});

describe('progress counters on postgres: tables without them', () => {
  let sequelize: Sequelize;
  const prefixes: string[] = [];
  beforeAll(() => {
    sequelize = connect(db);
  });
  afterAll(async () => {
    for (const p of prefixes) {
      await dropTables(sequelize, p); // the counters too
    }
    await sequelize.close();
  });

  /** A store on tables of its own migrated only to 003 (no counters), holding distributed job `jobId` of `batches` batches. */
  async function storeOn003(tag: string, jobId: string, batches: number): Promise<{ p: string; store: SequelizeStateStore }> {
    const p = uniquePrefix(tag);
    prefixes.push(p);
    await migrate(sequelize, { tablePrefix: p, to: '003_batch_lease_times' });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: p, leaseRenewalMs: 0 });
    await distributed(store, jobId, batches);
    return { p, store };
  }

  test('a store on tables migrated to 003 reads progress from the batch rows; initialize() then adds the counters with the counts already stored', async () => {
    const jobId = 'c-backfill';
    const { p, store } = await storeOn003('cb', jobId, 5);
    const a = await store.claimBatch(jobId, 'w');
    if (!a.claimed) throw new Error('expected a claim');
    const start = a.reservation.recordStartIndex;
    for (const [k, status] of (['processed', 'processed', 'failed'] as const).entries()) {
      await store.saveProcessedRecord(jobId, a.reservation.batchId, { ...pendingRecord(start + k), status });
    }
    await store.updateBatchState(jobId, a.reservation.batchId, { batchId: a.reservation.batchId, status: 'COMPLETED', processedCount: 2, failedCount: 1 }, { workerId: 'w' });
    expect(await countersPresent(sequelize, store, p)).toBe(false);
    await expectExactProgress(store, jobId, 'no counters');

    await store.initialize();
    expect(await countersPresent(sequelize, store, p)).toBe(true);
    await expectCountersExact(sequelize, store, jobId);
    const b = await store.claimBatch(jobId, 'w');
    if (!b.claimed) throw new Error('expected a claim');
    await expectCountersExact(sequelize, store, jobId);
    await expectExactProgress(store, jobId, 'counters backfilled, then a claim');
    await store.close();
  });

  test('a store that found no counters looks again a minute later: migration 004 run meanwhile by another store is picked up', async () => {
    const jobId = 'c-later';
    const { p, store } = await storeOn003('cl', jobId, 4);
    const readsCounters = async (): Promise<boolean> => {
      let seen = false;
      const name = `seen-${Math.random()}`;
      sequelize.addHook('beforeQuery', name, (_o, query) => {
        if (String((query as unknown as { sql?: string }).sql ?? '').includes(`FROM ${store.tables.progress as string}`)) seen = true;
      });
      try {
        await expectExactProgress(store, jobId, 'read');
      } finally {
        sequelize.removeHook('beforeQuery', name);
      }
      return seen;
    };
    expect(await readsCounters()).toBe(false);
    const other = db.connect({ poolMax: 1 });
    try {
      await migrate(other, { tablePrefix: p });
    } finally {
      await other.close();
    }
    expect(await readsCounters()).toBe(false); // within the minute: the batch rows still
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    try {
      expect(await readsCounters()).toBe(true);
    } finally {
      clock.mockRestore();
    }
    await store.close();
  });

  test('counters dropped while a store runs: its reads and finalization go back to the batch rows', async () => {
    const p = uniquePrefix('cd');
    prefixes.push(p);
    const store = new SequelizeStateStore(sequelize, { tablePrefix: p, leaseRenewalMs: 0 });
    await store.initialize();
    const jobId = 'c-dropped';
    await distributed(store, jobId, 2);
    await expectExactProgress(store, jobId, 'with counters');
    await sequelize.query(postgresCounters.drop({ batches: store.tables.batches, progress: store.tables.progress as string, prefix: p }));
    await expectExactProgress(store, jobId, 'counters dropped');
    expect((await store.getDistributedStatus(jobId)).pendingBatches).toBe(2);
    for (let i = 0; i < 2; i++) {
      const claim = await store.claimBatch(jobId, 'w');
      if (!claim.claimed) throw new Error('expected a claim');
      await store.updateBatchState(jobId, claim.reservation.batchId, { batchId: claim.reservation.batchId, status: 'COMPLETED', processedCount: SIZE, failedCount: 0 }, { workerId: 'w' });
    }
    expect(await store.tryFinalizeJob(jobId)).toBe(true);
    expect((await store.listJobs({ limit: 10 })).find((j) => j.id === jobId)?.status).toBe('COMPLETED');
    await expect(store.getProgress('c-none')).rejects.toThrow(/no such job/);
    await store.close();
  });

  test('migration 004 adds the counters (and its script, run by hand, too); reverting it drops them', async () => {
    const p = uniquePrefix('cm');
    prefixes.push(p);
    await migrate(sequelize, { tablePrefix: p, to: '003_batch_lease_times' });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: p });
    await distributed(store, 'c-mig', 3);
    expect(await migrate(sequelize, { tablePrefix: p })).toEqual(['004_progress_counters']);
    expect(await countersPresent(sequelize, store, p)).toBe(true);
    await expectCountersExact(sequelize, store, 'c-mig');

    const script = migrationDdl(sequelize, { tablePrefix: p, after: '003_batch_lease_times' });
    expect(script).toContain('CREATE TRIGGER');
    await sequelize.query(postgresCounters.drop({ batches: store.tables.batches, progress: store.tables.progress as string, prefix: p }));
    expect(await countersPresent(sequelize, store, p)).toBe(false);
    for (const statement of script.split(/;\n/).map((s) => s.replace(/^--.*$/gm, '').trim()).filter((s) => s.startsWith('DO'))) {
      await sequelize.query(statement);
    }
    expect(await countersPresent(sequelize, store, p)).toBe(true);
    await expectCountersExact(sequelize, store, 'c-mig');

    const umzug = await createMigrator(sequelize, { tablePrefix: p });
    expect((await umzug.down()).map((m) => m.name)).toEqual(['004_progress_counters']);
    expect(await countersPresent(sequelize, store, p)).toBe(false);
    const [table] = await sequelize.query<{ t: unknown }>('SELECT to_regclass($1) AS t', { bind: [store.tables.progress], type: QueryTypes.SELECT });
    expect(table?.t).toBeNull();
    await store.close();
  });
});
