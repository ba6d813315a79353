/**
 * Values reach MySQL and MariaDB so that no session `sql_mode` changes their
 * meaning: with `NO_BACKSLASH_ESCAPES` and `ANSI_QUOTES` set in an
 * `afterConnect` hook, ids built to break out of a backslash-escaped string
 * literal stay data, on both MySQL drivers.
 */
import { QueryTypes } from 'sequelize';
import { SQL_MODE_DATABASES, STRICT_SQL_MODE, freshStore } from '../helpers/databases';
import { distributedJob, pendingRecord, rowCounts } from './helpers';

const ATTACKS = [
  `' OR 1=1 -- `,
  `\\' OR 1=1 -- `,
  `x\\' OR '1'='1`,
  `" OR "1"="1`,
  `\\"); DELETE FROM t; -- `,
];

// Left out of the run without a MySQL-family URL (jest.config.js).
describe.each(SQL_MODE_DATABASES.map((d) => [d.name, d] as const))('session sql_mode on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    ctx = await freshStore(db);
  });
  afterAll(async () => ctx?.drop());

  test('the connections really run with the strict sql_mode', async () => {
    const [row] = await ctx.sequelize.query<{ m: string }>('SELECT @@SESSION.sql_mode AS m', { type: QueryTypes.SELECT });
    for (const flag of STRICT_SQL_MODE.split(',')) expect(row?.m).toContain(flag);
  });

  test('ids made to escape a string literal find nothing and delete nothing', async () => {
    const { store } = ctx;
    for (const [i, id] of ['victim-a', 'victim-b'].entries()) {
      await store.saveBatchRecords(id, 'b0', [pendingRecord(i)]);
      await store.saveJobState(distributedJob(id, ['b0'], 1));
    }
    const before = await rowCounts(store);
    for (const attack of ATTACKS) {
      expect(await store.getJobState(attack)).toBeNull();
      expect(await store.getBatchRecords(attack, attack)).toEqual([]);
      expect(await store.deleteJob(attack)).toBe(false);
      expect(await store.reclaimStaleBatches(attack, 0)).toBe(0);
      await store.releaseBatch('victim-a', attack, attack);
    }
    expect(await rowCounts(store)).toEqual(before);
    expect((await store.getJobState('victim-a'))?.batches).toHaveLength(1);
  });

  test('a whole distributed cycle stores those ids, JSON and text exactly', async () => {
    const { store } = ctx;
    for (const id of ATTACKS) {
      const raw = { text: `${id} \\ \\\\ "q" 'q' \u0000 ${id}` };
      await store.saveBatchRecords(id, id, [{ index: 0, raw, parsed: raw, status: 'pending', errors: [] }]);
      await store.saveJobState(distributedJob(id, [id], 1));
      const claim = await store.claimBatch(id, id);
      if (!claim.claimed) throw new Error(`no claim: ${claim.reason}`);
      const [rec] = await store.getBatchRecords(id, id);
      expect(rec?.raw).toEqual(raw);
      await store.saveProcessedRecord(id, id, { ...rec!, status: 'failed', processingError: id, errors: [{ field: id, message: id, code: 'REQUIRED' }] });
      await store.updateBatchState(id, id, { batchId: id, status: 'COMPLETED', processedCount: 0, failedCount: 1 }, { workerId: id });
      expect(await store.tryFinalizeJob(id)).toBe(true);
      const [failed] = await store.getFailedRecords(id);
      expect(failed).toMatchObject({ processingError: id, raw, errors: [{ field: id, message: id }] });
      expect((await store.getJobState(id))?.batches[0]).toMatchObject({ id, status: 'COMPLETED' });
    }
    expect((await store.listJobs({ limit: 100 })).map((j) => j.id).sort()).toEqual([...ATTACKS, 'victim-a', 'victim-b'].sort());
  });
});
