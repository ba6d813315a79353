/**
 * Errors the store raises never carry record values: the mariadb connector
 * appends the statement with its parameters to its messages, mysql2 keeps the
 * statement on the error, PostgreSQL's `detail` quotes the failing row. What
 * the store raises names the job, batch and record index, and keeps the
 * driver's codes in its `cause`, but `util.inspect` of it shows no value.
 */
import { inspect } from 'util';
import { QueryTypes } from 'sequelize';
import { PersistenceError, SequelizeStateStore } from '../../src';
import { DriverError } from '../../src/store/dialects/driverErrors';
import { DATABASES, SQL_MODE_DATABASES, freshStore, uniquePrefix } from '../helpers/databases';
import { distributedJob, pendingRecord } from './helpers';

const SECRET = 'ssn-123-45-6789';

function expectNoSecret(error: unknown): PersistenceError {
  expect(error).toBeInstanceOf(PersistenceError);
  const text = `${inspect(error, { depth: 10, showHidden: true })} ${JSON.stringify(error)} ${String(error)}`;
  expect(text).not.toContain(SECRET);
  expect((error as PersistenceError).cause).toBeInstanceOf(DriverError);
  return error as PersistenceError;
}

describe.each([...DATABASES, ...SQL_MODE_DATABASES].map((d) => [d.name, d] as const))('errors carry no record data on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    ctx = await freshStore(db);
  });
  afterAll(async () => ctx?.drop());

  test('a write to tables that do not exist: single record, batch of records, job', async () => {
    const missing = new SequelizeStateStore(ctx.sequelize, { tablePrefix: uniquePrefix('none') });
    const record = { ...pendingRecord(7, { ssn: SECRET }), processingError: `failed for ${SECRET}` };
    const one = expectNoSecret(await missing.saveProcessedRecord('job-e', 'batch-e', record).catch((e: unknown) => e));
    expect(one.context).toMatchObject({ jobId: 'job-e', batchId: 'batch-e', recordIndex: 7 });
    expect(one.message).toContain('job-e');
    expectNoSecret(await missing.saveBatchRecords('job-e', 'batch-e', [record, pendingRecord(8, { ssn: SECRET })]).catch((e: unknown) => e));
    const job = { ...distributedJob('job-e', ['b0'], 1), config: { batchSize: 1, note: SECRET } };
    expectNoSecret(await missing.saveJobState(job).catch((e: unknown) => e));
  });

  test('a record the database itself refuses (a constraint of the application) names the record, not its values', async () => {
    const t = ctx.store.tables.records;
    // The application's own rule on the table: the database refuses the row and quotes it where it can.
    if (db.name === 'sqlite') {
      await ctx.sequelize.query(
        `CREATE TRIGGER ${ctx.prefix}no_secrets BEFORE INSERT ON ${t} WHEN NEW."raw" LIKE '%ssn-%' BEGIN SELECT RAISE(ABORT, 'no secrets here'); END`,
      );
    } else {
      const raw = db.name === 'postgres' ? `"raw"::text` : '`raw`';
      await ctx.sequelize.query(`ALTER TABLE ${t} ADD CONSTRAINT ${ctx.prefix}no_secrets CHECK (${raw} NOT LIKE '%ssn-%')`);
    }
    const error = expectNoSecret(await ctx.store.saveProcessedRecord('job-c', 'batch-c', pendingRecord(3, { ssn: SECRET })).catch((e: unknown) => e));
    expect(error.context).toMatchObject({ jobId: 'job-c', batchId: 'batch-c', recordIndex: 3 });
    const cause = error.cause as DriverError;
    expect(cause.code ?? cause.errno).toBeDefined();
    const [row] = await ctx.sequelize.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${t}`, { type: QueryTypes.SELECT });
    expect(Number(row?.n)).toBe(0);
  });
});
