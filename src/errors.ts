/**
 * The library's error classes. Every error the store raises is a
 * {@link StateStoreError}; the subclasses say what kind of thing went wrong and
 * `context` says where (job, batch, record, worker, field). Driver errors are
 * kept as `cause`.
 */

/** Where an error happened. Every field is optional; those known are filled. */
export interface ErrorContext {
  /** The store method that failed, e.g. `saveProcessedRecord`. */
  readonly operation?: string;
  readonly jobId?: string;
  readonly batchId?: string;
  readonly recordIndex?: number;
  readonly workerId?: string;
  /** The input field that was wrong, as a path: `record.raw.name`, `state.processedCount`. */
  readonly field?: string;
}

function describe(context: ErrorContext): string {
  const parts: string[] = [];
  if (context.jobId !== undefined) parts.push(`job ${JSON.stringify(context.jobId)}`);
  if (context.batchId !== undefined) parts.push(`batch ${JSON.stringify(context.batchId)}`);
  if (context.recordIndex !== undefined) parts.push(`record ${context.recordIndex}`);
  if (context.workerId !== undefined) parts.push(`worker ${JSON.stringify(context.workerId)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Base class of every error raised by the store. */
export class StateStoreError extends Error {
  /** Where the error happened. */
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    const where = describe(context);
    const op = context.operation ? `${context.operation}: ` : '';
    super(`${op}${message}${where}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.context = context;
  }
}

/**
 * The caller passed something the store cannot hold faithfully: a malformed
 * id, a count that is not a non-negative integer, a status outside the
 * engine's set, a value JSON cannot represent. Nothing was written.
 */
export class InvalidInputError extends StateStoreError {}

/**
 * The database refused or lost a read or write: connection loss, constraint
 * violation, deadlock that outlived its retries, a table that does not exist.
 * The driver's error is `cause`. A write that raises this did not land (the
 * statement or its transaction was rolled back).
 */
export class PersistenceError extends StateStoreError {}

/** The job or batch named does not exist where the operation requires it. */
export class NotFoundError extends StateStoreError {}

/**
 * A worker tried to act on a batch it no longer holds: the claim was reclaimed
 * as stale (and perhaps handed to another worker) or released. The worker
 * must stop working on the batch; its state was not changed.
 */
export class LeaseLostError extends StateStoreError {}
