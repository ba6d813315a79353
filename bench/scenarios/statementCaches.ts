/**
 * Memory of the store's statement caches (issue 11, item 9): multi-row
 * record statements differ by row count (write-behind flushes and size-split
 * batches produce many), and caches bounded by entry count alone held ~22 MB
 * per store for row counts 1–500 and ~69 MB for 1–1,000 on mysql/sqlite.
 * Here a fresh store writes `saveBatchRecords` of every size 1 … 1,000 (one
 * statement each) and the heap is read after forced GC before, half-way,
 * at the end, and once the store is dropped.
 */
import { Sequelize } from 'sequelize';
import { SequelizeStateStore } from '../../src';
import { mb, settleHeap, uid, type Ctx } from '../lib/measure';
import type { CacheFigure } from '../lib/results';
import { connect, dropJob, processedRecord } from '../lib/setup';
import type { Scenario } from './scenario';

/** Internals read for the report only (absent if they moved): the SQL text cache's characters, the executor's compiled entries. */
function cacheSizes(store: SequelizeStateStore): { sqlCacheChars?: number; compiledEntries?: number } {
  const ctx = (store as unknown as { ctx?: { statements?: { size?: unknown }; db?: { compiled?: { size?: unknown } } } }).ctx;
  const chars = ctx?.statements?.size;
  const compiled = ctx?.db?.compiled?.size;
  return {
    ...(typeof chars === 'number' ? { sqlCacheChars: chars } : {}),
    ...(typeof compiled === 'number' ? { compiledEntries: compiled } : {}),
  };
}

async function measure(ctx: Ctx, label: string, open: () => Sequelize): Promise<CacheFigure> {
  const rows = ctx.size.cacheRows;
  const mid = Math.floor(rows / 2);
  const jobId = uid('stc');
  let sequelize: Sequelize | undefined = open();
  let store: SequelizeStateStore | undefined = new SequelizeStateStore(sequelize, { tablePrefix: ctx.prefix });
  try {
    await store.saveJobState({ id: jobId, config: { batchSize: rows }, status: 'PROCESSING', batches: [], totalRecords: 0, distributed: true });
    let next = 0;
    const write = async (n: number): Promise<void> => {
      const records = Array.from({ length: n }, () => processedRecord(next++));
      await (store as SequelizeStateStore).saveBatchRecords(jobId, `b${n}`, records);
    };
    await write(1); // warm: pool, code paths
    const gc = settleHeap();
    const before = process.memoryUsage().heapUsed;
    for (let n = 2; n <= mid; n++) await write(n);
    settleHeap();
    const atMid = process.memoryUsage().heapUsed;
    for (let n = mid + 1; n <= rows; n++) await write(n);
    settleHeap();
    const after = process.memoryUsage().heapUsed;
    const sizes = cacheSizes(store);
    await store.close();
    await sequelize.close();
    store = undefined;
    sequelize = undefined;
    settleHeap();
    const released = process.memoryUsage().heapUsed;
    const figure: CacheFigure = {
      dialect: label,
      calls: `saveBatchRecords of every size 1 … ${rows} (${((rows * (rows + 1)) / 2).toLocaleString('en')} records, one statement each)`,
      heapBeforeMb: mb(before), midRows: mid, heapMidMb: mb(atMid), rows, heapAfterMb: mb(after), heapReleasedMb: mb(released),
      ...sizes, gcExposed: gc,
    };
    console.log(`  statement caches ${label}: heap ${figure.heapBeforeMb} MB → ${figure.heapMidMb} MB (1…${mid}) → ${figure.heapAfterMb} MB (1…${rows});`
      + ` ${figure.heapReleasedMb} MB with the store dropped; SQL cache ${sizes.sqlCacheChars ?? '?'} chars, compiled cache ${sizes.compiledEntries ?? '?'} entries`
      + `${gc ? '' : ' [no --expose-gc]'}`);
    return figure;
  } finally {
    await store?.close();
    await sequelize?.close();
    await dropJob(ctx.raw, ctx.store.tables, jobId);
  }
}

export const statementCaches: Scenario = {
  id: 'statementCaches',
  measures: 'heap a store retains after multi-row record statements of every row count 1 … 1,000 (forced GC), with the mysql2 dialect too on the MariaDB server',
  storeSide: 'a fresh store: saveBatchRecords of 1, 2, … 1,000 records',
  limitSide: 'none (a memory check); before the size bound: ~22 MB per store for 1–500, ~69 MB for 1–1,000 (issue 11)',
  async run(ctx) {
    ctx.caches.push(await measure(ctx, ctx.location.dialect, () => connect(ctx.location)));
    if (ctx.location.dialect === 'mariadb') {
      const url = process.env.MYSQL_URL ?? (ctx.location.url as string).replace(/^mariadb:/, 'mysql:');
      ctx.caches.push(await measure(ctx, 'mysql (mysql2)', () => new Sequelize(url, { logging: false, pool: { max: 5, min: 0 } })));
    }
  },
};
