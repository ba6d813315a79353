/**
 * What the CLI and the demo say about the database itself, in-process on
 * every database in DATABASES: the table prefixes found when the asked one
 * has no tables, and (servers) a database that does not exist, and creating it.
 */
import { CliError } from '../../src/cli/errors';
import {
  createDatabase, findStatePrefixes, missingTablesMessage, openStore, parseDatabaseUrl, quoteIdentifier,
} from '../../src/cli/connect';
import { DATABASES, SERVER_DATABASES, uniquePrefix } from '../helpers/databases';

const dialectOf = (name: string): 'postgres' | 'mysql' | 'mariadb' | 'sqlite' => name as 'postgres' | 'mysql' | 'mariadb' | 'sqlite';

describe('missingTablesMessage', () => {
  it('names the prefixes found, or says there are none', () => {
    expect(missingTablesMessage('x_', ['', 'demo_'], 'sqlite')).toBe(
      'no state tables with prefix "x_" in this database; found tables with prefixes "" (no --prefix), "demo_" (--prefix demo_);'
        + ' or run `init` to create tables with prefix "x_"',
    );
    expect(missingTablesMessage('', [], 'postgres')).toBe(
      'no state tables with prefix "" in this schema, nor with any other prefix (no table ends in bulkimport_jobs):'
        + ' run `init` to create them, or check --url and --schema',
    );
    expect(missingTablesMessage('x_', undefined, 'mysql')).toBe('no state tables with prefix "x_" in this database (run `init` to create them)');
  });
});

describe.each(DATABASES.map((d) => [d.name, d] as const))('the prefixes of a %s database', (name, db) => {
  const sequelize = db.connect({ poolMax: 2 });
  const dialect = dialectOf(name);
  const a = uniquePrefix('pa');
  const b = uniquePrefix('pb');
  // Ends in "bulkimportXjobs": LIKE's `_` matches it, the prefix list must not.
  const tables = [`${a}bulkimport_jobs`, `${b}bulkimport_jobs`, `${a}bulkimportXjobs`];
  const qi = sequelize.getQueryInterface();

  beforeAll(async () => {
    for (const t of tables) await sequelize.query(`CREATE TABLE ${qi.quoteIdentifier(t)} (id INTEGER)`);
  });
  afterAll(async () => {
    for (const t of tables) await sequelize.query(`DROP TABLE ${qi.quoteIdentifier(t)}`).catch(() => undefined);
    await sequelize.close();
  });

  it('lists every table ending in bulkimport_jobs as a prefix', async () => {
    const found = await findStatePrefixes(sequelize, dialect);
    expect(found).toEqual(expect.arrayContaining([a, b]));
    expect(found.filter((p) => p.startsWith(a.slice(0, -2)))).toEqual([a]);
  });

  if (name === 'postgres') {
    it('looks in the --schema given', async () => {
      const schema = uniquePrefix('sch').replace(/_$/, '');
      await sequelize.query(`CREATE SCHEMA ${qi.quoteIdentifier(schema)}`);
      try {
        await sequelize.query(`CREATE TABLE ${qi.quoteIdentifier(schema)}.${qi.quoteIdentifier('inschema_bulkimport_jobs')} (id INTEGER)`);
        expect(await findStatePrefixes(sequelize, dialect, schema)).toEqual(['inschema_']);
        expect(await findStatePrefixes(sequelize, dialect)).not.toContain('inschema_');
      } finally {
        await sequelize.query(`DROP SCHEMA ${qi.quoteIdentifier(schema)} CASCADE`);
      }
    });
  }

  if (db.url) {
    it('is named when the tables of the prefix asked for are missing', async () => {
      const error = await openStore(db.url, { tablePrefix: 'nosuch_', requireTables: true }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).message).toMatch(new RegExp(`^no state tables with prefix "nosuch_" in this (database|schema); found tables with prefixes .*"${a}" \\(--prefix ${a}\\)`));
    });
  }
});

// Jest refuses an empty table: without a server URL there is nothing to run here.
if (SERVER_DATABASES.length > 0) describe.each(SERVER_DATABASES.map((d) => [d.name, d] as const))('a %s database that does not exist', (name, db) => {
  const database = uniquePrefix('bulk_missing_').replace(/_$/, '');
  const url = new URL(db.url as string);
  url.pathname = `/${database}`;
  const dialect = dialectOf(name);

  afterAll(async () => {
    const admin = db.connect({ poolMax: 1 });
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(dialect, database)}`).catch(() => undefined);
    await admin.close();
  });

  it('is an error that says how to create it; createDatabase creates it once', async () => {
    const error = await openStore(url.toString(), { requireTables: true }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(new RegExp(`^database "${database}" does not exist on ${url.host}: create it with \`(createdb|mysql) -h ${url.hostname} `));

    const target = parseDatabaseUrl(url.toString());
    expect(await createDatabase(target)).toBe(true);
    expect(await createDatabase(target)).toBe(false);
    const opened = await openStore(url.toString());
    await opened.close();
  });
});
