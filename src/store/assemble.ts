/**
 * Building a store: the checks on the Sequelize instance and the options,
 * the per-store entity subclasses and table names, and the modules over one
 * shared {@link StoreContext}. `SequelizeStateStore`'s constructor is this.
 */
import type { Sequelize } from 'sequelize';
import { InvalidInputError, type ErrorContext } from '../errors';
import { Admin } from './admin';
import { Batches } from './batches';
import { Claims } from './claims';
import { StoreContext } from './context';
import { dialectFor, driverFor, SUPPORTED_DIALECTS, type Tables } from './dialects';
import { applySqliteBusyTimeout } from './dialects/sqliteConnections';
import { Executor } from './Executor';
import { Finalizer } from './finalize';
import { Inspect } from './inspect';
import { Jobs } from './jobs';
import { Leases } from './leases';
import { defineStoreModels, type StoreModels } from './models';
import { resolveOptions, type SequelizeStateStoreOptions } from './options';
import { Progress } from './progress';
import { RecordBuffer } from './RecordBuffer';
import { Records } from './records';
import { sqlTarget, Statements } from './sql';

/** The modules one store delegates to, by concern. */
export interface StoreModules {
  readonly jobs: Jobs;
  readonly records: Records;
  readonly batches: Batches;
  readonly claims: Claims;
  readonly leases: Leases;
  readonly finalizer: Finalizer;
  readonly progress: Progress;
  readonly admin: Admin;
  readonly inspect: Inspect;
}

/** Everything a store is made of. */
export interface Assembly {
  readonly models: StoreModels;
  readonly tables: Tables;
  readonly ctx: StoreContext;
  readonly modules: StoreModules;
}

/**
 * Checks `sequelize` and `options` and builds the store's parts.
 * @throws InvalidInputError for an unsupported dialect or a bad option, naming it.
 */
export function assembleStore(sequelize: Sequelize, options: SequelizeStateStoreOptions): Assembly {
  const context: ErrorContext = { operation: 'new SequelizeStateStore', field: 'sequelize' };
  if (!sequelize || typeof (sequelize as { getDialect?: unknown }).getDialect !== 'function') {
    throw new InvalidInputError('the first argument must be a Sequelize instance', context);
  }
  const dialect = dialectFor(sequelize.getDialect());
  const driver = driverFor(sequelize.getDialect());
  if (!dialect || !driver) {
    throw new InvalidInputError(
      `dialect ${JSON.stringify(sequelize.getDialect())} is not supported; use one of ${SUPPORTED_DIALECTS.join(', ')}`,
      context,
    );
  }
  const settings = resolveOptions(sequelize, options, dialect);
  if (dialect.singleWriter) applySqliteBusyTimeout(sequelize, settings.sqliteBusyTimeoutMs);
  const models = defineStoreModels(sequelize, { tablePrefix: settings.tablePrefix, schema: settings.schema });
  const qualify = (table: string): string =>
    (settings.schema ? `${dialect.quote(settings.schema)}.` : '') + dialect.quote(`${settings.tablePrefix}${table}`);
  const tables: Tables = {
    jobs: qualify('bulkimport_jobs'), batches: qualify('bulkimport_batches'), records: qualify('bulkimport_records'),
    ...(dialect.progressCounters ? { progress: qualify('bulkimport_progress') } : {}),
  };
  let ctx: StoreContext | undefined;
  const executor = new Executor(sequelize, dialect, driver, (fn) => (ctx as StoreContext).retrying(fn, true));
  ctx = new StoreContext(sequelize, dialect, tables, settings, new Statements(sqlTarget(dialect, tables)), executor);
  const records = new Records(ctx);
  if (settings.recordBuffer) ctx.buffer = new RecordBuffer((rows) => records.write(rows, 'saveProcessedRecord'), settings.recordBuffer);
  const leases = new Leases(ctx, settings.leaseRenewalMs);
  return {
    models,
    tables,
    ctx,
    modules: {
      jobs: new Jobs(ctx), records, leases, batches: new Batches(ctx, leases), claims: new Claims(ctx, leases),
      finalizer: new Finalizer(ctx), progress: new Progress(ctx), admin: new Admin(ctx), inspect: new Inspect(ctx),
    },
  };
}
