import type { Dialect } from './types';

/** Double-quoted identifiers (SQL standard: PostgreSQL, SQLite). */
export const quoteStandard = (id: string): string => `"${id.replace(/"/g, '""')}"`;

/**
 * `ON CONFLICT (keys) DO UPDATE SET … = excluded.…` (PostgreSQL, SQLite 3.24+),
 * for an `INSERT INTO table AS cur`: `$old.` in raw expressions is `cur.`, `$new.` is `excluded.`.
 */
export const onConflictStandard: Dialect['onConflictUpdate'] = (_table, keys, update, raw = {}) => {
  const q = quoteStandard;
  const target = `(${keys.map(q).join(', ')})`;
  const sets = [
    ...update.map((c) => `${q(c)} = excluded.${q(c)}`),
    ...Object.entries(raw).map(([c, sql]) => `${q(c)} = ${sql.replace(/\$old\./g, 'cur.').replace(/\$new\./g, 'excluded.')}`),
  ];
  return sets.length === 0 ? ` ON CONFLICT ${target} DO NOTHING` : ` ON CONFLICT ${target} DO UPDATE SET ${sets.join(', ')}`;
};
