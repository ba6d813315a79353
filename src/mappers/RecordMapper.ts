import type { RecordEntity } from '../entities/RecordEntity';
import type { ErrorContext } from '../errors';
import type { ProcessedRecord, RecordStatus, ValidationError } from '../ports';
import { decodeJson, encodeJson, toNumber } from './json';
import type { Narrowed, Read } from './rows';
import { RECORD_STATUSES, checkArray, checkCount, checkId, checkObject, checkOptionalCount, checkStatus } from './validate';

/** The `RecordEntity` attributes a record write sets, in the order of the statement's columns. */
export const RECORD_WRITE_KEYS = [
  'jobId', 'recordIndex', 'batchId', 'status', 'raw', 'parsed', 'errors', 'processingError', 'retryCount',
] as const satisfies readonly (keyof RecordEntity)[];

/** A record as written: `RecordEntity` attributes, JSON columns encoded as JSON text. */
export type RecordRow = Narrowed<Pick<RecordEntity, (typeof RECORD_WRITE_KEYS)[number]>, {
  status: RecordStatus;
  raw: string;
  parsed: string;
  errors: string;
  processingError: string | null;
}>;

/**
 * A record as read back: `RecordEntity` attributes with the JSON columns
 * decoded — what a model read returns (`RecordEntity.findAll(...)`), and what
 * the store hands over after decoding its own reads. `raw`, `parsed` and
 * `errors` may also be given as JSON text; `processingError` is the decoded
 * string (or `null`).
 */
export type StoredRecord = Read<Pick<RecordEntity, 'recordIndex' | 'status' | 'raw' | 'parsed' | 'errors'>
  & Partial<Pick<RecordEntity, 'processingError' | 'retryCount'>>>;

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
    const processingError = row.processingError;
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
