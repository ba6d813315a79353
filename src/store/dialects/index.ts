import { mysql } from './mysql';
import { postgres } from './postgres';
import { sqlite } from './sqlite';
import type { Dialect } from './types';

export type { CounterLocation, Dialect, ProgressCounters, Tables } from './types';
export { driverError, driverFor, type Driver } from './drivers';

const DIALECTS: readonly Dialect[] = [postgres, mysql, sqlite];

/** The adapter for a Sequelize dialect name, or `undefined` if unsupported. */
export function dialectFor(name: string): Dialect | undefined {
  return DIALECTS.find((d) => d.names.includes(name));
}

/** Dialect names the store supports. */
export const SUPPORTED_DIALECTS: readonly string[] = DIALECTS.flatMap((d) => d.names);
