/**
 * NestJS 11 with @nestjs/sequelize: the user registers our entities, builds
 * the store from the injected connection with `stateStoreProvider()`, runs an
 * import through it and reads the rows through `@InjectModel(JobEntity)`.
 *
 * One Nest testing module lives at a time (FACTS.md: two live modules sharing
 * the entity classes rebind them and closing one breaks the other).
 * PostgreSQL runs in a schema of its own (the connection's search_path, set
 * at connect: Sequelize's `prependSearchPath` would prefix every statement with
 * `SET search_path`, which PostgreSQL refuses for bound statements), so the unprefixed
 * default tables never meet other test files.
 */
import { Inject, Injectable, Module } from '@nestjs/common';
import { getConnectionToken, getModelToken, InjectModel, SequelizeModule, type SequelizeModuleOptions } from '@nestjs/sequelize';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Sequelize } from 'sequelize-typescript';
import {
  BatchEntity, executedMigrations, JobEntity, RecordEntity, SCHEMA_MIGRATIONS, SequelizeStateStore, STATE_ENTITIES,
  stateStoreProvider,
} from '../../src';
import { DATABASES, uniquePrefix, type TestDatabase } from '../helpers/databases';
import { expectImported, record, smallImport, sqliteFile } from './support';

const TARGETS = DATABASES.filter((d) => d.name === 'sqlite' || d.name === 'postgres');

// Evaluated at load time, as the @Module decorators of an application are.
const FEATURE_JOB = SequelizeModule.forFeature([JobEntity]);
const FEATURE_ALL = SequelizeModule.forFeature([...STATE_ENTITIES]);
const JOB_TOKEN = getModelToken(JobEntity);
const BATCH_TOKEN = getModelToken(BatchEntity);
const RECORD_TOKEN = getModelToken(RecordEntity);

/** An application service, as a user would write it. */
@Injectable()
class ImportReport {
  constructor(
    @InjectModel(JobEntity) private readonly jobs: typeof JobEntity,
    @Inject(SequelizeStateStore) readonly store: SequelizeStateStore,
  ) {}

  async statusOf(jobId: string): Promise<string | undefined> {
    return (await this.jobs.findByPk(jobId))?.status;
  }

  async count(): Promise<number> {
    return this.jobs.count();
  }
}

/** Connection options for `db`, each call a database of its own (SQLite file, PostgreSQL schema). */
function connection(db: TestDatabase, extra: Partial<SequelizeModuleOptions> = {}): { options: SequelizeModuleOptions; schema?: string } {
  if (db.name === 'sqlite') {
    return { options: { dialect: 'sqlite', storage: sqliteFile(), logging: false, ...extra } as SequelizeModuleOptions };
  }
  const schema = `nest_${uniquePrefix('n').replace(/_$/, '')}`;
  return {
    schema,
    options: {
      uri: db.url, logging: false, dialectOptions: { options: `-c search_path=${schema}` }, ...extra,
    } as SequelizeModuleOptions,
  };
}

async function dropSchema(moduleRef: TestingModule | undefined, schema: string | undefined, token: unknown = getConnectionToken()): Promise<void> {
  if (!moduleRef) return;
  if (schema) await moduleRef.get<Sequelize>(token as string).query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await moduleRef.close();
}

describe.each(TARGETS.map((d) => [d.name, d] as [string, TestDatabase]))('NestJS on %s', (_name, db) => {
  test('forRoot({ models: STATE_ENTITIES }) + stateStoreProvider(): an import through the store, read back through @InjectModel', async () => {
    const { options, schema } = connection(db);
    let moduleRef: TestingModule | undefined;
    try {
      moduleRef = await Test.createTestingModule({
        imports: [
          SequelizeModule.forRoot({ ...options, models: [...STATE_ENTITIES] }),
          FEATURE_JOB,
        ],
        providers: [stateStoreProvider({ setup: 'initialize', schema }), ImportReport],
      }).compile();
      const store = moduleRef.get(SequelizeStateStore);
      const report = moduleRef.get(ImportReport);
      expect(store).toBeInstanceOf(SequelizeStateStore);
      expect(report.store).toBe(store);
      expect(store.sequelize).toBe(moduleRef.get(getConnectionToken()));

      const run = await smallImport(store, { batches: 2, batchSize: 3 });
      expectImported(run.state, run.jobId);
      expect(await store.getProcessedRecords(run.jobId)).toHaveLength(6);
      expect((await store.getProgress(run.jobId)).percentage).toBe(100);
      // The classes Nest registered read what the store wrote.
      expect(await report.statusOf(run.jobId)).toBe('COMPLETED');
      expect(await report.count()).toBe(1);
      expect(moduleRef.get(JOB_TOKEN)).toBe(JobEntity);
    } finally {
      await dropSchema(moduleRef, schema);
    }
  });

  test('forFeature(STATE_ENTITIES) with autoLoadModels + synchronize: Nest creates the tables, the store uses them as they are', async () => {
    const { options, schema } = connection(db);
    let moduleRef: TestingModule | undefined;
    try {
      if (schema) {
        // synchronize does not create a schema: make it first, as an application's migration would.
        const bootstrap = await Test.createTestingModule({ imports: [SequelizeModule.forRoot({ ...options, models: [] })] }).compile();
        await bootstrap.get<Sequelize>(getConnectionToken()).query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await bootstrap.close();
      }
      moduleRef = await Test.createTestingModule({
        imports: [
          SequelizeModule.forRoot({ ...options, autoLoadModels: true, synchronize: true }),
          FEATURE_ALL,
        ],
        providers: [stateStoreProvider({ schema }), ImportReport],
      }).compile();
      await moduleRef.init();
      const store = moduleRef.get(SequelizeStateStore);
      const run = await smallImport(store, { batches: 3, batchSize: 2 });
      expectImported(run.state, run.jobId, 3, 2);
      expect(await moduleRef.get<typeof BatchEntity>(BATCH_TOKEN).count({ where: { jobId: run.jobId } })).toBe(3);
      expect(await moduleRef.get<typeof RecordEntity>(RECORD_TOKEN).count({ where: { jobId: run.jobId } })).toBe(6);
      expect(await moduleRef.get(ImportReport).statusOf(run.jobId)).toBe('COMPLETED');
    } finally {
      await dropSchema(moduleRef, schema);
    }
  });

  test('a named connection, a token of our own, a prefix, migrations, and write-behind flushed at shutdown', async () => {
    const { options, schema } = connection(db);
    const prefix = uniquePrefix('nn');
    const STORE = Symbol('IMPORT_STATE_STORE');

    @Injectable()
    class Uses {
      constructor(@Inject(STORE) readonly store: SequelizeStateStore) {}
    }
    @Module({
      imports: [SequelizeModule.forRoot({ ...options, name: 'imports', models: [] })],
      providers: [
        stateStoreProvider({
          provide: STORE, connection: getConnectionToken('imports'), tablePrefix: prefix, schema, setup: 'migrate',
          recordBuffer: { maxRecords: 1000, maxDelayMs: 60_000 },
        }),
        Uses,
      ],
      exports: [STORE],
    })
    class ImportsModule {}

    let moduleRef: TestingModule | undefined;
    let jobId = '';
    try {
      moduleRef = await Test.createTestingModule({ imports: [ImportsModule] }).compile();
      await moduleRef.init();
      const store = moduleRef.get(Uses).store;
      expect(store.sequelize).toBe(moduleRef.get(getConnectionToken('imports')));
      expect(await executedMigrations(store.sequelize, { tablePrefix: prefix, schema })).toEqual(SCHEMA_MIGRATIONS.map((m) => m.name));
      const run = await smallImport(store, { batches: 1, batchSize: 2 });
      jobId = run.jobId;
      expectImported(run.state, jobId, 1, 2);
      // Buffered, not yet written: shutdown must flush it before the connection closes.
      await store.saveProcessedRecord(jobId, run.batchIds[0] as string, record(2, 'failed'));
      await moduleRef.close();
      moduleRef = undefined;

      moduleRef = await Test.createTestingModule({ imports: [ImportsModule] }).compile();
      const again = moduleRef.get(Uses).store;
      expect((await again.getFailedRecords(jobId)).map((r) => r.index)).toEqual([2]);
      expect(await again.getProcessedRecords(jobId)).toHaveLength(2);
    } finally {
      if (moduleRef && !schema) {
        const s = moduleRef.get<Sequelize>(getConnectionToken('imports'));
        for (const t of ['records', 'batches', 'jobs', 'migrations']) await s.getQueryInterface().dropTable(`${prefix}bulkimport_${t}`);
      }
      await dropSchema(moduleRef, schema, getConnectionToken('imports'));
    }
  });
});
