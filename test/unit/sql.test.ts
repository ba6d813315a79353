import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import * as sql from '../../src/store/sql';
import { BATCH_COLUMNS, JOB_COLUMNS, RECORD_COLUMNS } from '../../src/store/sql';
import { dialectFor } from '../../src/store/dialects';
import { defineStoreModels } from '../../src/store/models';

const fieldsOf = (model: { getAttributes(): Record<string, { field?: string }> }): string[] =>
  Object.values(model.getAttributes()).map((a) => a.field as string);

describe('SQL builders', () => {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  const models = defineStoreModels(sequelize, { tablePrefix: 'p_', schema: undefined });
  afterAll(() => sequelize.close());

  it('write exactly the columns the entities define', () => {
    expect(fieldsOf(models.Record).sort()).toEqual([...RECORD_COLUMNS].sort());
    expect(fieldsOf(models.Job)).toEqual(expect.arrayContaining([...JOB_COLUMNS, 'created_at', 'updated_at', 'version']));
    expect(fieldsOf(models.Batch)).toEqual(
      expect.arrayContaining([...BATCH_COLUMNS, 'worker_id', 'claimed_at', 'version']),
    );
  });

  it('give per-store tables and index names', () => {
    expect(models.Job.getTableName()).toBe('p_bulkimport_jobs');
    const indexes = (models.Batch.options.indexes ?? []).map((i) => i.name);
    expect(indexes).toEqual(['p_bulkimport_batches_claim_idx']);
  });

  it.each(['postgres', 'mysql', 'mariadb', 'sqlite'])('%s: bind parameters are numbered without gaps', (name) => {
    const dialect = dialectFor(name);
    expect(dialect).toBeDefined();
    const q = dialect!.quote;
    const t = sql.sqlTarget(dialect!, { jobs: q('j'), batches: q('b'), records: q('r'), progress: q('p') });
    const statements = [
      sql.upsertRecords(t, 3), sql.upsertJob(t), sql.insertBatches(t, 2, true), sql.insertBatches(t, 2, false),
      sql.insertUnindexedBatch(t), sql.updateBatch(t, true, false), sql.updateBatch(t, false, true), sql.claimSelect(t),
      sql.claimUpdate(t), sql.releaseBatch(t), sql.renewLease(t), sql.reclaimStale(t), sql.finalizeJob(t),
      sql.selectRecordsByStatus(t, 2), sql.selectFirstRecordOfBatches(t, 3), sql.jobProgressRows(t, false), sql.jobProgressRows(t, true),
      sql.batchAggregates(t, 3, false), sql.batchAggregates(t, 3, true), sql.jobProgressWithLive(t),
      sql.finalizeCheck(t, false), sql.finalizeCheck(t, true), sql.countBatchesByStatus(t, false), sql.countBatchesByStatus(t, true), sql.selectRecordsPage(t, 2, 10, 5),
      sql.liveRecordCounts(t, true, true, false), sql.liveRecordCounts(t, false, false, true),
    ];
    if (dialect!.updateReturning) statements.push(sql.claimReturning(t));
    for (const statement of statements) {
      const numbers = [...statement.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
      const max = Math.max(0, ...numbers);
      expect(new Set(numbers).size).toBe(max);
      expect(statement).not.toMatch(/\$old/);
    }
    expect(sql.upsertRecords(t, 2)).toContain('$18');
  });

  it('claims skip locked rows where the dialect has row locks', () => {
    const pg = dialectFor('postgres')!;
    const my = dialectFor('mariadb')!;
    const lite = dialectFor('sqlite')!;
    const tables = { jobs: 'j', batches: 'b', records: 'r' };
    expect(sql.claimReturning(sql.sqlTarget(pg, tables))).toContain('FOR UPDATE SKIP LOCKED');
    expect(sql.claimSelect(sql.sqlTarget(my, tables))).toContain('FOR UPDATE SKIP LOCKED');
    expect(sql.claimReturning(sql.sqlTarget(lite, tables))).not.toContain('FOR UPDATE');
  });
});
