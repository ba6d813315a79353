import type { ErrorContext } from '../errors';
import type { Batch, JobState, JobStatus } from '../ports';
import { decodeJson, encodeJson, toNumber } from './json';
import { decodeConfig, encodeConfig } from './schema';
import { JOB_STATUSES, checkCount, checkId, checkObject, checkOptionalEpoch, checkStatus } from './validate';

/** A job as written: `config` already encoded. Keys are `JobEntity` attributes. */
export interface JobRow {
  readonly id: string;
  readonly status: JobStatus;
  readonly config: string;
  readonly totalRecords: number;
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  readonly distributed: boolean;
}

/** A job as read back. */
export interface StoredJob {
  readonly id: string;
  readonly status: string;
  readonly config: unknown;
  readonly totalRecords: number | string;
  readonly startedAt?: number | string | null;
  readonly completedAt?: number | string | null;
  readonly distributed: boolean | number | string;
}

/** Converts jobs between the engine's `JobState` and `JobEntity` rows. Pure. */
export class JobMapper {
  /**
   * Validates and encodes a job (its batches are mapped by `BatchMapper`).
   * @throws InvalidInputError naming the job and field that is wrong.
   */
  static toRow(job: JobState, context: ErrorContext): JobRow {
    checkObject(job, 'job', context);
    const ctx: ErrorContext = { ...context, jobId: typeof job.id === 'string' ? job.id : undefined };
    const config = checkObject(job.config, 'job.config', ctx);
    checkCount(config.batchSize, 'job.config.batchSize', ctx);
    if (!Array.isArray(job.batches)) checkObject(null, 'job.batches (an array)', ctx);
    if (job.distributed !== undefined && typeof job.distributed !== 'boolean') {
      checkObject(null, 'job.distributed (a boolean)', ctx);
    }
    return {
      id: checkId(job.id, 'job.id', ctx),
      status: checkStatus<JobStatus>(job.status, JOB_STATUSES, 'job.status', ctx),
      config: encodeJson(encodeConfig(job.config), 'job.config', ctx),
      totalRecords: checkCount(job.totalRecords, 'job.totalRecords', ctx),
      startedAt: checkOptionalEpoch(job.startedAt, 'job.startedAt', ctx),
      completedAt: checkOptionalEpoch(job.completedAt, 'job.completedAt', ctx),
      distributed: job.distributed === true,
    };
  }

  /** Decodes a stored job with its batches. Optional fields absent in storage are absent in the result. */
  static toDomain(row: StoredJob, batches: Batch[]): JobState {
    const startedAt = toNumber(row.startedAt);
    const completedAt = toNumber(row.completedAt);
    const distributed = row.distributed === true || row.distributed === 1 || row.distributed === '1' || row.distributed === 'true';
    return {
      id: row.id,
      config: decodeConfig(decodeJson(row.config)),
      status: row.status as JobStatus,
      batches,
      totalRecords: toNumber(row.totalRecords) ?? 0,
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(completedAt !== undefined ? { completedAt } : {}),
      ...(distributed ? { distributed: true } : {}),
    };
  }
}
