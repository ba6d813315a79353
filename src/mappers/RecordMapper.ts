import type { ErrorContext } from '../errors';
import type { ProcessedRecord, RecordStatus, ValidationError } from '../ports';
import { decodeJson, encodeJson, toNumber } from './json';
import { RECORD_STATUSES, checkArray, checkCount, checkId, checkObject, checkOptionalCount, checkStatus } from './validate';

/** A record as written: JSON columns already encoded. Keys are `RecordEntity` attributes. */
export interface RecordRow {
  readonly jobId: string;
  readonly recordIndex: number;
  readonly batchId: string;
  readonly status: RecordStatus;
  readonly raw: string;
  readonly parsed: string;
  readonly errors: string;
  readonly processingError: string | null;
  readonly retryCount: number | null;
}

/**
 * A record as the store reads it back: attribute names, `raw`/`parsed`/`errors`
 * as JSON text or as decoded values, and `processingError` as the column's
 * JSON **text** (the store selects it as text on every dialect). A model read
 * (`RecordEntity.findAll`) decodes `processing_error` to a plain string on
 * PostgreSQL and MySQL/MariaDB: use that string directly rather than passing
 * such a row here, since a decoded string cannot be told from JSON text.
 */
export interface StoredRecord {
  readonly recordIndex: number | string;
  readonly status: string;
  readonly raw: unknown;
  readonly parsed: unknown;
  readonly errors: unknown;
  readonly processingError?: unknown;
  readonly retryCount?: number | string | null;
}

/** Converts records between the engine's `ProcessedRecord` and `RecordEntity` rows. Pure. */
export class RecordMapper {
  /**
   * Validates and encodes one record.
   * @throws InvalidInputError naming the job, record index and field that is wrong.
   */
  static toRow(jobId: string, batchId: string, record: ProcessedRecord, operation: string): RecordRow {
    const base: ErrorContext = { operation, jobId, batchId };
    checkObject(record, 'record', base);
    const context: ErrorContext = {
      ...base,
      recordIndex: typeof record.index === 'number' ? record.index : undefined,
    };
    const recordIndex = checkCount(record.index, 'record.index', context);
    const status = checkStatus<RecordStatus>(record.status, RECORD_STATUSES, 'record.status', context);
    checkObject(record.raw, 'record.raw', context);
    checkArray(record.errors, 'record.errors', context);
    let processingError: string | null = null;
    if (record.processingError !== undefined && record.processingError !== null) {
      if (typeof record.processingError !== 'string') {
        checkObject(null, 'record.processingError (a string)', context);
      }
      // Through encodeJson, like every JSON column: a lone surrogate is refused here too.
      processingError = encodeJson(record.processingError, 'record.processingError', context);
    }
    return {
      jobId: checkId(jobId, 'jobId', context),
      recordIndex,
      batchId: checkId(batchId, 'batchId', context),
      status,
      raw: encodeJson(record.raw, 'record.raw', context),
      parsed: encodeJson(record.parsed ?? {}, 'record.parsed', context),
      errors: encodeJson(record.errors, 'record.errors', context),
      processingError,
      retryCount: checkOptionalCount(record.retryCount, 'record.retryCount', context),
    };
  }

  /** Decodes a stored record. Optional fields absent in storage are absent in the result. */
  static toDomain(row: StoredRecord): ProcessedRecord {
    const processingError = decodeJson(row.processingError ?? null);
    const retryCount = toNumber(row.retryCount);
    return {
      index: toNumber(row.recordIndex) as number,
      raw: decodeJson(row.raw) as ProcessedRecord['raw'],
      parsed: decodeJson(row.parsed) as ProcessedRecord['parsed'],
      status: row.status as RecordStatus,
      errors: decodeJson(row.errors) as ValidationError[],
      ...(typeof processingError === 'string' ? { processingError } : {}),
      ...(retryCount !== undefined ? { retryCount } : {}),
    };
  }
}
