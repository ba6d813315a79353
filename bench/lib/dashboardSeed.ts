/**
 * The dashboard scenario's job: 1,000,000 records in 10,000 batches, in
 * flight — 60 % of the batches COMPLETED (2 failed records each, finish
 * times spread over ten minutes), 0.5 % PROCESSING held by 8 workers (half
 * their records done, one worker's leases stale), the rest PENDING.
 * PostgreSQL: generate_series; other databases: multi-row INSERTs.
 */
import type { Sequelize } from 'sequelize';
import type { SequelizeStateStore } from '../../src';

export const DASHBOARD_JOB = 'bench-dashboard-job';

/** Which batch is in which state, by index. */
export function dashboardShape(records: number, batches: number): { size: number; completed: number; held: number } {
  return { size: Math.ceil(records / batches), completed: Math.floor(batches * 0.6), held: Math.max(8, Math.floor(batches * 0.005)) };
}

export async function seedDashboardJob(sequelize: Sequelize, store: SequelizeStateStore, now: number, records: number, batches: number): Promise<void> {
  const JOB = DASHBOARD_JOB;
  const { size: SIZE, completed: COMPLETED, held: HELD } = dashboardShape(records, batches);
  const t = store.tables;
  const dialect = sequelize.getDialect();
  const config = JSON.stringify({ batchSize: SIZE, continueOnError: true });
  await sequelize.query(
    `INSERT INTO ${t.jobs} (id, status, config, total_records, started_at, completed_at, distributed, created_at, updated_at, version)`
    + ` VALUES ('${JOB}', 'PROCESSING', '${config}', ${records}, ${now - 600_000}, NULL, ${dialect === 'sqlite' ? 1 : 'TRUE'}, ${now - 600_000}, ${now}, 1)`,
  );
  // Batch i: COMPLETED below COMPLETED, PROCESSING up to COMPLETED + HELD (worker i % 8; worker 7's leases stale), else PENDING.
  const batchRow = (i: number): string => {
    const start = i * SIZE;
    const end = Math.min(records, start + SIZE) - 1;
    if (i < COMPLETED) {
      const finished = now - 600_000 + Math.floor((i / COMPLETED) * 590_000);
      return `('${JOB}', 'b${i}', ${i}, 'COMPLETED', ${end - start - 1}, 2, NULL, ${finished - 2000}, NULL, ${finished}, ${start}, ${end}, 3)`;
    }
    if (i < COMPLETED + HELD) {
      const w = i % 8;
      const claimed = w === 7 ? now - 300_000 : now - 5000;
      return `('${JOB}', 'b${i}', ${i}, 'PROCESSING', 0, 0, 'worker-${w}', ${claimed}, ${w === 7 ? 'NULL' : now - 1000}, NULL, ${start}, ${end}, 2)`;
    }
    return `('${JOB}', 'b${i}', ${i}, 'PENDING', 0, 0, NULL, NULL, NULL, NULL, ${start}, ${end}, 0)`;
  };
  const batchColumns = '(job_id, batch_id, batch_index, status, processed_count, failed_count, worker_id, claimed_at, renewed_at, finished_at,'
    + ' record_start_index, record_end_index, version)';
  for (let i = 0; i < batches; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, batches - i) }, (_, k) => batchRow(i + k));
    await sequelize.query(`INSERT INTO ${t.batches} ${batchColumns} VALUES ${rows.join(',')}`);
  }
  // Records: completed batches' first two failed, the rest processed; held batches half processed; the rest pending.
  const failedErrors = JSON.stringify([{ field: 'email', message: 'not an email', code: 'PATTERN_MISMATCH', severity: 'error' }]);
  const recordColumns = '(job_id, record_index, batch_id, status, raw, parsed, errors, processing_error, retry_count)';
  if (dialect === 'postgres') {
    await sequelize.query(
      `INSERT INTO ${t.records} ${recordColumns}`
      + ` SELECT '${JOB}', r, 'b' || (r / ${SIZE}),`
      + ` CASE WHEN r / ${SIZE} < ${COMPLETED} THEN (CASE WHEN r % ${SIZE} < 2 THEN 'failed' ELSE 'processed' END)`
      + `      WHEN r / ${SIZE} < ${COMPLETED + HELD} AND r % ${SIZE} < ${SIZE / 2} THEN 'processed' ELSE 'pending' END,`
      + ` json_build_object('id', r, 'email', 'user' || r || '@example.com', 'name', 'row ' || r),`
      + ` json_build_object('id', r, 'email', 'user' || r || '@example.com', 'name', 'row ' || r),`
      + ` CASE WHEN r / ${SIZE} < ${COMPLETED} AND r % ${SIZE} < 2 THEN '${failedErrors}'::json ELSE '[]'::json END, NULL, 0`
      + ` FROM generate_series(0, ${records - 1}) AS r`,
    );
  } else {
    for (let i = 0; i < records; i += 2000) {
      const rows: string[] = [];
      for (let r = i; r < Math.min(records, i + 2000); r++) {
        const b = Math.floor(r / SIZE);
        const failed = b < COMPLETED && r % SIZE < 2;
        const status = b < COMPLETED ? (failed ? 'failed' : 'processed') : b < COMPLETED + HELD && r % SIZE < SIZE / 2 ? 'processed' : 'pending';
        const raw = JSON.stringify({ id: r, email: `user${r}@example.com`, name: `row ${r}` });
        rows.push(`('${JOB}', ${r}, 'b${b}', '${status}', '${raw}', '${raw}', '${failed ? failedErrors : '[]'}', NULL, 0)`);
      }
      await sequelize.query(`INSERT INTO ${t.records} ${recordColumns} VALUES ${rows.join(',')}`);
    }
  }
  if (dialect === 'postgres') await sequelize.query(`ANALYZE ${t.jobs}; ANALYZE ${t.batches}; ANALYZE ${t.records};`);
  else if (dialect === 'sqlite') await sequelize.query('ANALYZE');
}
