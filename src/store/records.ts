/**
 * Records: the hot `saveProcessedRecord` upsert, the orchestrator's
 * multi-row `saveBatchRecords`, and the reads. Statements stay under the
 * server's packet limit (MySQL/MariaDB `max_allowed_packet`) and a fixed byte
 * budget, so a batch of large records is split, never refused half-way.
 */
import { InvalidInputError, PersistenceError, type ErrorContext } from '../errors';
import { chunkBySize, decodeJson, toNumber, wireBytes } from '../mappers/json';
import { RECORD_WRITE_KEYS, RecordMapper, type RecordRow, type StoredRecord } from '../mappers/RecordMapper';
import { valuesOf } from '../mappers/rows';
import { checkId, checkObject } from '../mappers/validate';
import type { ProcessedRecord } from '../ports';
import type { StoreContext } from './context';
import type { Tx } from './Executor';
import { RECORD_COLUMNS, selectBatchRecords, selectRecordsByStatus, upsertRecords } from './sql';

/** Upper bound on the bytes of one multi-row record statement (keeps large records from piling up). */
const STATEMENT_BYTES = 4 * 1024 * 1024;
/** Room left in a server packet for the statement's SQL text and protocol framing. */
const PACKET_MARGIN = 64 * 1024;

/** A record row as the store's statements read it: JSON columns as text. */
interface RecordText {
  recordIndex: unknown;
  status: string;
  raw: unknown;
  parsed: unknown;
  errors: unknown;
  processingError: unknown;
  retryCount: unknown;
}

/** Decodes the JSON text the store's reads return into the shape a model read gives ({@link StoredRecord}). */
export function decodeRecord(row: RecordText): StoredRecord {
  return {
    recordIndex: toNumber(row.recordIndex) as number,
    status: row.status,
    raw: decodeJson(row.raw),
    parsed: decodeJson(row.parsed),
    errors: decodeJson(row.errors),
    processingError: row.processingError === null || row.processingError === undefined ? null : decodeJson(row.processingError),
    retryCount: toNumber(row.retryCount) ?? null,
  };
}

/** The records module of one store. */
export class Records {
  private statementLimit: Promise<number | undefined> | undefined;

  constructor(private readonly ctx: StoreContext) {}

  /** `saveProcessedRecord`: one upsert, or a place in the write-behind buffer. */
  async save(jobId: string, batchId: string, record: ProcessedRecord): Promise<void> {
    const row = RecordMapper.toRow(jobId, batchId, record, 'saveProcessedRecord');
    if (this.ctx.buffer) await this.ctx.buffer.add(row);
    else await this.write([row], 'saveProcessedRecord');
  }

  /** `saveBatchRecords`: multi-row upserts, all or nothing. */
  async saveBatch(jobId: string, batchId: string, records: readonly ProcessedRecord[]): Promise<void> {
    const context: ErrorContext = { operation: 'saveBatchRecords', jobId, batchId };
    if (!Array.isArray(records)) checkObject(null, 'records (an array)', context);
    const rows = records.map((r) => RecordMapper.toRow(jobId, batchId, r, 'saveBatchRecords'));
    const seen = new Set<number>();
    for (const row of rows) {
      if (seen.has(row.recordIndex)) {
        throw new InvalidInputError('records name this index twice', { ...context, recordIndex: row.recordIndex, field: 'records' });
      }
      seen.add(row.recordIndex);
    }
    await this.ctx.flush(jobId);
    await this.write(rows, 'saveBatchRecords');
  }

  /** A batch's records, by index. */
  async byBatch(jobId: string, batchId: string): Promise<ProcessedRecord[]> {
    const context: ErrorContext = { operation: 'getBatchRecords', jobId, batchId };
    checkId(jobId, 'jobId', context);
    checkId(batchId, 'batchId', context);
    await this.ctx.flush(jobId);
    return this.ctx.guard(context, async () =>
      (await this.ctx.select<RecordText>(this.ctx.sql(selectBatchRecords), [jobId, batchId])).map((r) => RecordMapper.toDomain(decodeRecord(r))));
  }

  /** A job's records with one of `statuses`, by index. */
  async byStatus(jobId: string, statuses: readonly string[], operation: string): Promise<ProcessedRecord[]> {
    const context: ErrorContext = { operation, jobId };
    checkId(jobId, 'jobId', context);
    await this.ctx.flush(jobId);
    return this.ctx.guard(context, async () =>
      (await this.ctx.select<RecordText>(this.ctx.sql(selectRecordsByStatus, statuses.length), [jobId, ...statuses]))
        .map((r) => RecordMapper.toDomain(decodeRecord(r))));
  }

  /** Writes validated record rows: one statement, or a transaction of several. */
  async write(rows: readonly RecordRow[], operation: string): Promise<void> {
    if (rows.length === 0) return;
    const ctx = this.ctx;
    const first = rows[0] as RecordRow;
    const context: ErrorContext = {
      operation,
      jobId: first.jobId,
      ...(rows.length === 1 ? { batchId: first.batchId, recordIndex: first.recordIndex } : { batchId: first.batchId }),
    };
    // Statements stay under STATEMENT_BYTES and the server's packet limit; a
    // record that alone exceeds the limit is refused before anything is sent.
    // Sizes are a cheap upper bound; the exact wire size is counted only for
    // a record whose bound reaches the server's limit.
    const limit = ctx.dialect.maxStatementBytesQuery ? await ctx.guard(context, () => this.maxStatementBytes()) : undefined;
    const budget = Math.min(STATEMENT_BYTES, limit !== undefined ? limit - PACKET_MARGIN : STATEMENT_BYTES);
    if (limit !== undefined) {
      for (const row of rows) {
        if (recordBytesBound(row) <= budget) continue;
        const bytes = valuesOf(row, RECORD_WRITE_KEYS).reduce<number>((n, v) => n + wireBytes(v), 64);
        if (bytes > limit - PACKET_MARGIN) {
          throw new PersistenceError(
            `the record takes about ${bytes} bytes as a statement, more than this server accepts`
            + ` (max_allowed_packet = ${limit} bytes); raise max_allowed_packet to store records this large`,
            { ...context, batchId: row.batchId, recordIndex: row.recordIndex, field: 'record' },
          );
        }
      }
    }
    const parts = rows.length === 1 ? [rows] : chunkBySize(rows, ctx.rowsPerStatement(RECORD_COLUMNS.length), budget, recordBytesBound);
    const run = (part: readonly RecordRow[], tx?: Tx): Promise<void> =>
      ctx.exec(ctx.sql(upsertRecords, part.length), part.flatMap((r) => valuesOf(r, RECORD_WRITE_KEYS)), tx);
    await ctx.guard(context, () =>
      parts.length === 1
        ? run(parts[0] as RecordRow[])
        : ctx.transaction(async (tx) => {
          for (const part of parts) await run(part, tx);
        }));
  }

  /** The server's statement size limit in bytes (asked once), or `undefined` where there is none. */
  private maxStatementBytes(): Promise<number | undefined> {
    const query = this.ctx.dialect.maxStatementBytesQuery;
    if (!query) return Promise.resolve(undefined);
    if (!this.statementLimit) {
      this.statementLimit = this.ctx.select<{ n: unknown }>(query, []).then(([row]) => toNumber(row?.n));
      this.statementLimit.catch(() => { this.statementLimit = undefined; });
    }
    return this.statementLimit;
  }
}

/**
 * An upper bound on the bytes a record row takes in a statement, without
 * scanning its text: a UTF-16 code unit is at most 3 bytes of UTF-8, or 2
 * where a text protocol escapes it (see `wireBytes`).
 */
function recordBytesBound(row: RecordRow): number {
  const text = (v: string | null): number => (v === null ? 4 : 3 * v.length + 2);
  return 64 + 4 * 24 + text(row.jobId) + text(row.batchId) + text(row.status) + text(row.raw) + text(row.parsed)
    + text(row.errors) + text(row.processingError);
}
