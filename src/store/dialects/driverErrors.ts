/**
 * Driver errors as the store passes them on. A driver's error can carry the
 * data it was given: the mariadb connector appends the statement with its
 * parameter values to the message, mysql2 keeps the statement in `sql`,
 * PostgreSQL's `detail` and `where` quote the failing row, MySQL quotes the
 * offending value in "Incorrect string value". The store's errors keep a
 * {@link DriverError} as `cause` instead: the driver's codes and a message
 * without the statement or the values, so logging an error the store raised
 * (`util.inspect`, an error tracker) never writes record data.
 */
import { driverError } from './drivers';

/** The driver's error behind a store error: what went wrong, without the statement or its values. */
export class DriverError extends Error {
  /** The driver's error code (`'23505'`, `'ER_DUP_ENTRY'`, `'SQLITE_BUSY'`, …). */
  readonly code?: string;
  /** MySQL/MariaDB error number. */
  readonly errno?: number;
  /** SQLSTATE, where the driver reports it separately from `code`. */
  readonly sqlState?: string;
  /** PostgreSQL: `ERROR`, `FATAL`, … */
  readonly severity?: string;
  /** The constraint, table and column the server named, when it did (PostgreSQL). */
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;
  /** The driver's error class name (`error`, `SqlError`, `Error`, a Sequelize error name). */
  readonly driverName: string;

  constructor(message: string, fields: Omit<Partial<DriverError>, 'message' | 'name' | 'stack'> & { driverName: string }) {
    super(message);
    this.name = 'DriverError';
    this.driverName = fields.driverName;
    Object.assign(this, fields);
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `… value: '…'` and `… value: "…"` literals some servers quote from the input. */
const QUOTED_VALUE = /(value:?\s*)('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")/gi;

/** The message of a driver error, without a trailing statement and with quoted input values elided. */
export function scrubMessage(message: string): string {
  const statement = message.search(/\n\s*sql:/i);
  const bare = statement >= 0 ? message.slice(0, statement) : message;
  return bare.replace(QUOTED_VALUE, '$1…');
}

/** Fields only a database driver's (or Sequelize's database) error has. */
const DRIVER_FIELDS = ['sql', 'sqlMessage', 'sqlState', 'errno', 'severity', 'detail', 'parameters', 'original', 'parent', 'code'];

/** Whether `error` comes from a driver (or wraps one): it may carry the statement or its values. */
export function isDriverError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof DriverError) return true;
  const name = (error as { name?: unknown }).name;
  return (typeof name === 'string' && name.startsWith('Sequelize')) || DRIVER_FIELDS.some((f) => f in error);
}

/**
 * The `cause` a store error keeps: a driver's error (possibly wrapped by
 * Sequelize) as a {@link DriverError}; any other error (one thrown by the
 * application's own `beforeQuery` hook, say) as it is.
 */
export function causeOf(error: unknown): unknown {
  return isDriverError(error) ? describeDriverError(error) : error;
}

/** Describes `error` (a driver's error, possibly wrapped by Sequelize) as a {@link DriverError}. */
export function describeDriverError(error: unknown): DriverError {
  if (error instanceof DriverError) return error;
  const e = (driverError(error) ?? {}) as Record<string, unknown>;
  const raw = text(e.sqlMessage) ?? text(e.message) ?? (error instanceof Error ? error.message : String(error));
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  return new DriverError(scrubMessage(raw), {
    driverName: text(e.name) ?? (error instanceof Error ? error.name : typeof error),
    ...(text(e.code) ? { code: text(e.code) } : {}),
    ...(errno !== undefined ? { errno } : {}),
    ...(text(e.sqlState) ? { sqlState: text(e.sqlState) } : {}),
    ...(text(e.severity) ? { severity: text(e.severity) } : {}),
    ...(text(e.constraint) ? { constraint: text(e.constraint) } : {}),
    ...(text(e.table) ? { table: text(e.table) } : {}),
    ...(text(e.column) ? { column: text(e.column) } : {}),
  });
}
