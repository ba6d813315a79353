/**
 * The store's statements in the application's Sequelize log, as Sequelize
 * logs its own queries (`lib/dialects/abstract/query.js`, `_logQuery`):
 * `Executing (default): <sql>` before the statement; with `benchmark: true`,
 * `Executed (default): <sql>` and the elapsed ms after it instead; with
 * `logQueryParameters: true`, the bound values appended (`; 1, "a"`). The
 * message goes through `sequelize.log`, which passes `console.log` the text
 * alone and any other logger the query options too.
 */
import type { Sequelize } from 'sequelize';

interface LogOptions {
  logging?: unknown;
  benchmark?: boolean;
  logQueryParameters?: boolean;
}

/** Sequelize's JSON for a logged value (BigInts as text). */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? 'undefined';
}

/**
 * Logs one statement about to run; returns what to call when it has run
 * (`undefined` when nothing is to be logged after it).
 */
export function logStatement(sequelize: Sequelize, text: string, params: readonly unknown[], type: string): (() => void) | undefined {
  const options = (sequelize as unknown as { options: LogOptions }).options;
  if (!options.logging) return undefined;
  const values = options.logQueryParameters && params.length > 0
    ? `${text.endsWith(';') ? '' : ';'} ${params.map(stringify).join(', ')}`
    : '';
  const fmt = `(default): ${text}${values}`;
  const queryOptions = { logging: options.logging, benchmark: options.benchmark, bind: params, type };
  const log = (sequelize as unknown as { log(...args: unknown[]): void }).log.bind(sequelize);
  if (!options.benchmark) {
    log(`Executing ${fmt}`, queryOptions);
    return undefined;
  }
  const start = Date.now();
  return () => log(`Executed ${fmt}`, Date.now() - start, queryOptions);
}
