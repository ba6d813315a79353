/**
 * Building the store from a dependency-injection container's connection,
 * NestJS (`@nestjs/sequelize`) first, without depending on any framework: the
 * provider is a plain `{ provide, useFactory, inject }` object, which is the
 * shape Nest's `FactoryProvider` expects.
 *
 * @packageDocumentation
 */
import type { Sequelize } from 'sequelize';
import { Sequelize as SequelizeTypescript } from 'sequelize-typescript';
import { InvalidInputError } from './errors';
import { migrate } from './migrations';
import { SequelizeStateStore, type SequelizeStateStoreOptions } from './store/SequelizeStateStore';

/**
 * What the factory does to the schema before handing out the store:
 * - `'none'` (default): nothing; the tables exist already (migrations run at
 *   deploy time, or Nest's `synchronize` created them from `STATE_ENTITIES`);
 * - `'initialize'`: `store.initialize()`, for development;
 * - `'migrate'`: {@link migrate} with the store's prefix and schema.
 */
export type StateStoreSetup = 'none' | 'initialize' | 'migrate';

/** Options of {@link createStateStore}: the store's own options plus what to do to the schema. */
export interface CreateStateStoreOptions extends SequelizeStateStoreOptions {
  /** See {@link StateStoreSetup}. Default `'none'`. */
  readonly setup?: StateStoreSetup;
}

/** A DI token: a class, an abstract class, a string or a symbol (Nest's `InjectionToken`). */
// eslint-disable-next-line @typescript-eslint/ban-types
export type ProviderToken = string | symbol | Function;

/** Options of {@link stateStoreProvider}. */
export interface StateStoreProviderOptions extends CreateStateStoreOptions {
  /** The token the store is provided under. Default: the {@link SequelizeStateStore} class. */
  readonly provide?: ProviderToken;
  /**
   * The token of the Sequelize connection to build the store on. Default:
   * sequelize-typescript's `Sequelize` class, which is the token
   * `@nestjs/sequelize` gives its default connection. For a named connection
   * pass `getConnectionToken('name')` from `@nestjs/sequelize`.
   */
  readonly connection?: ProviderToken;
}

/**
 * A store ready to use: the store itself, plus `onModuleDestroy`, which Nest
 * calls at shutdown (before it closes the connection) to write any records
 * the write-behind buffer still holds.
 */
export type ProvidedStateStore = SequelizeStateStore & {
  /** Closes the store (stops lease renewals, writes buffered records); Nest calls it at shutdown. */
  onModuleDestroy(): Promise<void>;
};

/** The factory provider {@link stateStoreProvider} returns: Nest's `FactoryProvider` shape. */
export interface StateStoreProvider {
  /** The token the store is provided under. */
  readonly provide: ProviderToken;
  /** Builds the store on the injected connection (see {@link createStateStore}). */
  useFactory(sequelize: Sequelize): Promise<ProvidedStateStore>;
  /** The connection to inject. */
  readonly inject: ProviderToken[];
}

const SETUPS: readonly StateStoreSetup[] = ['none', 'initialize', 'migrate'];

/**
 * Builds a store on `sequelize` and prepares its schema as `options.setup`
 * says. Usable as a factory anywhere:
 * `useFactory: (sequelize) => createStateStore(sequelize, { setup: 'initialize' })`.
 *
 * @throws InvalidInputError for an unknown `setup` or malformed store options.
 * @throws PersistenceError when the schema setup fails.
 */
export async function createStateStore(sequelize: Sequelize, options: CreateStateStoreOptions = {}): Promise<ProvidedStateStore> {
  const { setup = 'none', ...storeOptions } = options;
  if (!SETUPS.includes(setup)) {
    throw new InvalidInputError(`setup must be one of ${SETUPS.join(', ')}`, { operation: 'createStateStore', field: 'setup' });
  }
  const store = new SequelizeStateStore(sequelize, storeOptions);
  if (setup === 'initialize') await store.initialize();
  if (setup === 'migrate') await migrate(sequelize, { tablePrefix: storeOptions.tablePrefix, schema: storeOptions.schema });
  return Object.assign(store, { onModuleDestroy: () => store.close() });
}

/**
 * A NestJS factory provider for the store, built on the injected Sequelize
 * connection. With `@nestjs/sequelize`:
 *
 * ```ts
 * @Module({
 *   imports: [SequelizeModule.forRoot({ dialect: 'postgres', ..., models: [...STATE_ENTITIES] })],
 *   providers: [stateStoreProvider({ setup: 'migrate' })],
 *   exports: [SequelizeStateStore],
 * })
 * export class ImportsModule {}
 *
 * // then: constructor(private readonly store: SequelizeStateStore) {}
 * ```
 *
 * Registering `STATE_ENTITIES` (in `forRoot({ models })` or `forFeature`) is
 * only needed to query the tables through `@InjectModel(JobEntity)` or to
 * let Nest's `synchronize` create them; the store itself works on per-store
 * copies of the entities and never rebinds the registered classes.
 * The library does not depend on `@nestjs/*`: this is a plain object.
 */
export function stateStoreProvider(options: StateStoreProviderOptions = {}): StateStoreProvider {
  const { provide = SequelizeStateStore, connection = SequelizeTypescript, ...rest } = options;
  return {
    provide,
    useFactory: (sequelize: Sequelize) => createStateStore(sequelize, rest),
    inject: [connection],
  };
}
