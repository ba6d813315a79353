import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { InvalidInputError, SequelizeStateStore } from '../../src';

describe('SequelizeStateStore options', () => {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  afterAll(() => sequelize.close());

  it('refuses something that is not a Sequelize instance', () => {
    expect(() => new SequelizeStateStore({} as Sequelize)).toThrow(InvalidInputError);
  });

  it('refuses a schema on SQLite, naming the option', () => {
    expect(() => new SequelizeStateStore(sequelize, { schema: 'tenant' })).toThrow(/schema is not supported on SQLite/);
  });

  it.each(['bad-prefix', 'x'.repeat(31), 'a b'])('refuses the table prefix %j', (tablePrefix) => {
    expect(() => new SequelizeStateStore(sequelize, { tablePrefix })).toThrow(/tablePrefix/);
  });

  it('refuses a malformed schema name', () => {
    const pgLike = { getDialect: () => 'postgres' } as unknown as Sequelize;
    expect(() => new SequelizeStateStore(pgLike, { schema: 'a"; drop' })).toThrow(/schema must be an identifier/);
  });
});

describe('every numeric option is checked, naming it', () => {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  afterAll(() => sequelize.close());

  // (`undefined` and `null` mean the default.)
  const bad: readonly unknown[] = [NaN, -1, 1.5, 'x', Infinity, {}];
  const cases: readonly [string, (v: unknown) => Record<string, unknown>, readonly unknown[]][] = [
    ['transientRetries', (v) => ({ transientRetries: v }), [...bad, 101]],
    ['sqliteBusyTimeoutMs', (v) => ({ sqliteBusyTimeoutMs: v }), [NaN, -1, 'x', Infinity, 2 ** 31]],
    ['recordBuffer.maxRecords', (v) => ({ recordBuffer: { maxRecords: v } }), [...bad, 0, 100_001]],
    ['recordBuffer.maxDelayMs', (v) => ({ recordBuffer: { maxDelayMs: v } }), [NaN, -1, 'x', Infinity, 2 ** 31]],
    ['jobStateCacheMs', (v) => ({ jobStateCacheMs: v }), [NaN, -1, 'x', Infinity, 60_001]],
    ['leaseRenewalMs', (v) => ({ leaseRenewalMs: v }), [NaN, -1, 'x', Infinity, 2 ** 31]],
  ];
  for (const [field, options, values] of cases) {
    it.each(values.map((v) => [String(typeof v === 'object' ? JSON.stringify(v) : v), v]))(`refuses ${field} = %s`, (_label, value) => {
      let caught: unknown;
      try {
        new SequelizeStateStore(sequelize, options(value) as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidInputError);
      expect((caught as InvalidInputError).context.field).toBe(field);
      expect((caught as Error).message).toContain(field);
    });
  }

  it('refuses a recordBuffer that is not true, false or an object', () => {
    expect(() => new SequelizeStateStore(sequelize, { recordBuffer: 'yes' as never })).toThrow(/recordBuffer must be/);
  });

  it('accepts the documented ranges', () => {
    expect(() => new SequelizeStateStore(sequelize, {
      transientRetries: 0, sqliteBusyTimeoutMs: 0, recordBuffer: { maxRecords: 1, maxDelayMs: 0 },
    })).not.toThrow();
    expect(() => new SequelizeStateStore(sequelize, {
      transientRetries: 100, sqliteBusyTimeoutMs: 2 ** 31 - 1, recordBuffer: { maxRecords: 100_000, maxDelayMs: 2 ** 31 - 1 },
    })).not.toThrow();
  });
});
