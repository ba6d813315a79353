import type { ModelAttributes, ModelOptions, Sequelize } from 'sequelize';
import { getAttributes, getOptions, type Model } from 'sequelize-typescript';
import { BATCHES_TABLE, BatchEntity } from '../entities/BatchEntity';
import { JOBS_TABLE, JobEntity } from '../entities/JobEntity';
import { RECORDS_TABLE, RecordEntity } from '../entities/RecordEntity';

/** Where a store keeps its tables. */
export interface TableLocation {
  /** Prepended to every table and index name. */
  readonly tablePrefix: string;
  /** PostgreSQL schema (or MySQL database) holding the tables; `undefined` for the default. */
  readonly schema: string | undefined;
}

/** The entity classes one store uses, bound to that store's Sequelize instance and tables. */
export interface StoreModels {
  readonly Job: typeof JobEntity;
  readonly Batch: typeof BatchEntity;
  readonly Record: typeof RecordEntity;
}

type EntityClass = typeof JobEntity | typeof BatchEntity | typeof RecordEntity;

/**
 * Makes per-store subclasses of the decorated entities, initialised on
 * `sequelize` from the decorators' own attributes and options, with their own
 * table, model and index names.
 *
 * Why subclasses: a decorated class belongs to one Sequelize instance at a time
 * (`addModels` silently rebinds it), so binding the shared classes would make
 * two stores on two databases write into one. Subclasses also work on a plain
 * `sequelize` instance, which has no `addModels`.
 */
export function defineStoreModels(sequelize: Sequelize, location: TableLocation): StoreModels {
  return {
    Job: bind(JobEntity, JOBS_TABLE, sequelize, location) as typeof JobEntity,
    Batch: bind(BatchEntity, BATCHES_TABLE, sequelize, location) as typeof BatchEntity,
    Record: bind(RecordEntity, RECORDS_TABLE, sequelize, location) as typeof RecordEntity,
  };
}

function bind(Base: EntityClass, defaultTable: string, sequelize: Sequelize, location: TableLocation): EntityClass {
  const attributes = getAttributes(Base.prototype) as ModelAttributes;
  const options = (getOptions(Base.prototype) ?? {}) as ModelOptions;
  const tableName = `${location.tablePrefix}${defaultTable}`;
  const scope = location.schema ? `${location.schema}.` : '';
  // A subclass per store: statics (sequelize, tableName, rawAttributes) are its own.
  const Sub = { [Base.name]: class extends (Base as typeof Model) {} }[Base.name] as unknown as EntityClass & {
    initialize(attributes: ModelAttributes, options: ModelOptions & { sequelize: Sequelize }): void;
  };
  Sub.initialize(attributes, {
    ...options,
    sequelize,
    tableName,
    schema: location.schema,
    modelName: `${options.modelName ?? Base.name}:${scope}${tableName}`,
    indexes: (options.indexes ?? []).map((index) => ({
      ...index,
      name: index.name?.startsWith(defaultTable) ? `${tableName}${index.name.slice(defaultTable.length)}` : index.name,
    })),
  });
  return Sub;
}
