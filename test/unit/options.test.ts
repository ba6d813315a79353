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
