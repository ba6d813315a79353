/**
 * `@batchactions/state-sequelize`: a Sequelize `StateStore` and
 * `DistributedStateStore` for `@batchactions/core`.
 *
 * @packageDocumentation
 */
export { SequelizeStateStore } from './store/SequelizeStateStore';
export type {
  SequelizeStateStoreOptions, UpdateBatchOptions, ListJobsOptions, JobSummary, PurgeJobsOptions, DeleteJobOptions, BatchDetail, RecordPage,
  RecordPageOptions, StoreStats, StoreCall, StoreCallListener,
} from './store/SequelizeStateStore';
export type { RecordBufferOptions } from './store/RecordBuffer';
export type { StoreModels } from './store/models';
export type { Tables, Dialect, ProgressCounters, CounterLocation } from './store/dialects/types';

export { JobEntity, BatchEntity, RecordEntity, Version, STATE_ENTITIES, JOBS_TABLE, BATCHES_TABLE, RECORDS_TABLE } from './entities';
export { JobMapper, BatchMapper, RecordMapper, JOB_WRITE_KEYS, BATCH_WRITE_KEYS, RECORD_WRITE_KEYS } from './mappers';
export type { JobRow, StoredJob, BatchRow, StoredBatch, RecordRow, StoredRecord, Narrowed, Read, AsRead } from './mappers';
export type { BatchCounts } from './store/progress';

export { StateStoreError, InvalidInputError, PersistenceError, NotFoundError, LeaseLostError } from './errors';
export { DriverError } from './store/dialects/driverErrors';
export type { ErrorContext } from './errors';

export {
  migrate, pendingMigrations, executedMigrations, migrationDdl, createMigrator, SCHEMA_MIGRATIONS, MIGRATIONS_TABLE,
} from './migrations';
export type { MigrationOptions, MigrationDdlOptions, SchemaLocation, SchemaMigration, DdlStatement, DdlBuilder, ColumnSpec } from './migrations';

export { stateStoreProvider, createStateStore } from './provider';
export type {
  StateStoreProvider, StateStoreProviderOptions, CreateStateStoreOptions, StateStoreSetup, ProvidedStateStore, ProviderToken,
} from './provider';

export type {
  JobStatus, BatchStatus, RecordStatus, RawRecord, ParsedRecord, ValidationError, ValidationErrorCode, ErrorSeverity,
  ErrorCategory, ProcessedRecord, Batch, JobConfig, JobState, JobProgress, BatchState, BatchReservation,
  ClaimBatchResult, DistributedJobStatus, StateStore, DistributedStateStore,
} from './ports';
