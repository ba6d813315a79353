/**
 * The entity classes are the user-facing way to read the tables
 * (`@InjectModel(JobEntity)` in Nest, `JobEntity.findAll()` with
 * sequelize-typescript), and the mappers' row types come from them: rows read
 * through the exported entities and mapped with the exported mappers give the
 * same domain objects the store returns, on every database.
 */
import 'reflect-metadata';
import { Sequelize } from 'sequelize-typescript';
import {
  BatchEntity, BatchMapper, JobEntity, JobMapper, RecordEntity, RecordMapper, SequelizeStateStore, STATE_ENTITIES,
} from '../../src';
import { DATABASES, type TestDatabase } from '../helpers/databases';
import { dropTables } from './support';
import { distributedJob, pendingRecord } from '../reliability/helpers';

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('entity reads mapped by the mappers on %s', (name, db) => {
  let sequelize: Sequelize;
  let store: SequelizeStateStore;
  beforeAll(async () => {
    const plain = db.connect();
    const options = { ...(plain as unknown as { options: object }).options, models: [...STATE_ENTITIES] };
    await plain.close();
    // A sequelize-typescript instance with the exported entities registered, as an application (or Nest) has.
    sequelize = name === 'sqlite'
      ? new Sequelize({ ...(options as object), dialect: 'sqlite', logging: false } as never)
      : new Sequelize(db.url as string, { logging: false, models: [...STATE_ENTITIES] });
    await dropTables(sequelize, '');
    store = new SequelizeStateStore(sequelize); // the default tables, which the exported entities name
    await store.initialize();
  });
  afterAll(async () => {
    await dropTables(sequelize, '').catch(() => undefined);
    await sequelize.close();
  });

  test('a job with its batches, and its records, read through JobEntity, BatchEntity and RecordEntity', async () => {
    const ids = ['er-b0', 'er-b1'];
    await store.saveBatchRecords('er-job', 'er-b0', [pendingRecord(0), pendingRecord(1)]);
    await store.saveBatchRecords('er-job', 'er-b1', [pendingRecord(2), pendingRecord(3)]);
    await store.saveJobState({ ...distributedJob('er-job', ids, 2), startedAt: 1_764_000_000_123 });
    const claim = await store.claimBatch('er-job', 'worker-ü');
    if (!claim.claimed) throw new Error('no claim');
    await store.saveProcessedRecord('er-job', 'er-b0', { ...pendingRecord(0), status: 'processed', retryCount: 2 });
    await store.saveProcessedRecord('er-job', 'er-b0', {
      ...pendingRecord(1), status: 'failed', processingError: '{"looks":"like json"}',
      errors: [{ field: 'name', message: 'bad', code: 'CUSTOM_VALIDATION', severity: 'warning', metadata: { n: 1 } }],
    });
    await store.updateBatchState('er-job', 'er-b0', { batchId: 'er-b0', status: 'COMPLETED', processedCount: 1, failedCount: 1 });

    const job = await JobEntity.findByPk('er-job');
    const batches = await BatchEntity.findAll({ where: { jobId: 'er-job' }, order: [['batchIndex', 'ASC']] });
    const mapped = JobMapper.toDomain(job!.get({ plain: true }), batches.map((b) => BatchMapper.toDomain(b.get({ plain: true }))));
    expect(mapped).toEqual(await store.getJobState('er-job'));

    const records = await RecordEntity.findAll({ where: { jobId: 'er-job' }, order: [['recordIndex', 'ASC']] });
    const domain = records.map((r) => RecordMapper.toDomain(r.get({ plain: true })));
    expect(domain.filter((r) => r.status === 'failed')).toEqual(await store.getFailedRecords('er-job'));
    expect(domain.filter((r) => r.status === 'processed')).toEqual(await store.getProcessedRecords('er-job'));
    expect(domain.filter((r) => r.status === 'pending')).toEqual(await store.getPendingRecords('er-job'));
    expect(domain.filter((r) => r.status === 'failed')[0]?.processingError).toBe('{"looks":"like json"}');
  });
});
