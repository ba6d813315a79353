/**
 * CPU profile helper (not part of `npm run bench`): runs N sequential
 * `saveProcessedRecord` calls (or raw upserts with `--raw`) on one dialect so
 * that `node --cpu-prof` shows where the client's time goes.
 *
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof -r ts-node/register/transpile-only \
 *     bench/profile/saveProcessedRecord.ts postgres 2000 [--raw]
 */
import { RawSql, recordParams } from '../lib/raw';
import { dropJob, locations, openRaw, openStore, processedRecord } from '../lib/setup';

async function main(): Promise<void> {
  if (!process.argv.includes('--source-maps')) (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  const [dialect = 'postgres', n = '2000'] = process.argv.slice(2);
  const raw = process.argv.includes('--raw');
  const location = locations().find((l) => l.dialect === dialect);
  if (!location) throw new Error(`no ${dialect}`);
  const prefix = `benchp${process.pid.toString(36)}_`;
  const { sequelize, store } = await openStore(location, prefix);
  const conn = await openRaw(location);
  const sql = new RawSql(location.dialect, store.tables);
  const records = Array.from({ length: Number(n) }, (_, i) => processedRecord(i));
  try {
    const cpu = process.cpuUsage();
    const start = Date.now();
    for (const r of records) {
      if (raw) await conn.run(sql.upsertRecords(1), recordParams('job', 'b0', r));
      else await store.saveProcessedRecord('job', 'b0', r);
    }
    const used = process.cpuUsage(cpu);
    console.log(`${raw ? 'raw' : 'store'} ${dialect}: ${records.length} calls, ${((Date.now() - start) / records.length).toFixed(2)} ms/call wall,`
      + ` ${((used.user + used.system) / records.length).toFixed(0)} µs/call CPU (user ${(used.user / records.length).toFixed(0)}, system ${(used.system / records.length).toFixed(0)})`);
  } finally {
    await dropJob(conn, store.tables, 'job');
    for (const m of [store.models.Record, store.models.Batch, store.models.Job]) await m.drop();
    await conn.close();
    await sequelize.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
