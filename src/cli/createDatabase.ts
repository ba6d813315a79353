/**
 * A database a server URL names that does not exist: recognising the
 * driver's error, saying how to create it, and creating it (the demo does
 * when the database is missing).
 */
import { Sequelize } from 'sequelize';
import { oneLine, redactUrl, type DatabaseTarget } from './connect';
import { CliError } from './errors';

/** Whether a driver error says the database named in the URL does not exist (PostgreSQL 3D000, MySQL/MariaDB 1049). */
export function isMissingDatabase(error: unknown): boolean {
  const e = error as { original?: unknown; parent?: unknown } | undefined;
  for (const x of [e?.original, e?.parent, e]) {
    const d = x as { code?: unknown; errno?: unknown } | undefined;
    if (d?.code === '3D000' || d?.code === 'ER_BAD_DB_ERROR' || d?.errno === 1049) return true;
  }
  return false;
}

/** The database a server URL names. */
export function databaseName(target: DatabaseTarget): string {
  return decodeURIComponent(new URL(target.url as string).pathname.replace(/^\//, ''));
}

const shellWord = (w: string): string => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** How to create the database a server URL names, as a command to run. */
export function createDatabaseHint(target: DatabaseTarget): string {
  const url = new URL(target.url as string);
  const name = databaseName(target);
  const user = decodeURIComponent(url.username);
  if (target.dialect === 'postgres') {
    const args = ['createdb', '-h', url.hostname, ...(url.port ? ['-p', url.port] : []), ...(user ? ['-U', user] : []), name];
    return `create it with \`${args.map(shellWord).join(' ')}\` (or \`CREATE DATABASE ${quoteIdentifier(target.dialect, name)}\` in psql)`;
  }
  const args = ['mysql', '-h', url.hostname, ...(url.port ? ['-P', url.port] : []), ...(user ? ['-u', user] : []), ...(url.password ? ['-p'] : []),
    '-e', `CREATE DATABASE ${quoteIdentifier(target.dialect, name)}`];
  return `create it with \`${args.map(shellWord).join(' ')}\``;
}

/** A quoted SQL identifier. */
export function quoteIdentifier(dialect: DatabaseTarget['dialect'], name: string): string {
  return dialect === 'mysql' || dialect === 'mariadb' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates the database a PostgreSQL, MySQL or MariaDB URL names, through a
 * connection to the server's default database (PostgreSQL `postgres`, else
 * `template1`; MySQL/MariaDB none). Resolves to `false` when it already
 * existed.
 * @throws CliError when the server cannot be reached or refuses.
 */
export async function createDatabase(target: DatabaseTarget): Promise<boolean> {
  if (target.dialect === 'sqlite') throw new CliError('a SQLite database is a file: it is created when first opened', 2);
  const name = databaseName(target);
  const defaults = target.dialect === 'postgres' ? ['postgres', 'template1'] : [''];
  let lastError: unknown;
  for (const db of defaults) {
    const url = new URL(target.url as string);
    url.pathname = `/${db}`;
    const sequelize = new Sequelize(url.toString(), { dialect: target.dialect, logging: false, pool: { max: 1, min: 0 } });
    try {
      try {
        await sequelize.authenticate();
      } catch (error) {
        lastError = error;
        if (isMissingDatabase(error)) continue;
        throw new CliError(`cannot connect to ${redactUrl(url.toString())} to create database ${JSON.stringify(name)}: ${oneLine(error)}`, 1);
      }
      const sql = `CREATE DATABASE ${quoteIdentifier(target.dialect, name)}${target.dialect === 'postgres' ? '' : ' CHARACTER SET utf8mb4'}`;
      try {
        await sequelize.query(sql);
        return true;
      } catch (error) {
        const e = (error as { original?: { code?: unknown; errno?: unknown } }).original;
        if (e?.code === '42P04' || e?.errno === 1007) return false;
        throw new CliError(`cannot create database ${JSON.stringify(name)}: ${oneLine(error)}`, 1);
      }
    } finally {
      await sequelize.close().catch(() => undefined);
    }
  }
  throw new CliError(`cannot connect to the server of ${redactUrl(target.url as string)} to create database ${JSON.stringify(name)}: ${oneLine(lastError)}`, 1);
}
