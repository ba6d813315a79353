import type { JobEntity } from '../entities/JobEntity';
import type { ErrorContext } from '../errors';
import type { Batch, JobState, JobStatus } from '../ports';
import { decodeJson, encodeJson, isTrue, toNumber } from './json';
import type { Narrowed, Read } from './rows';
import { decodeConfig, encodeConfig } from './schema';
import { JOB_STATUSES, checkCount, checkId, checkObject, checkOptionalEpoch, checkStatus } from './validate';

/** The `JobEntity` attributes `saveJobState` writes, in the order of the statement's columns. */
export const JOB_WRITE_KEYS = [
  'id', 'status', 'config', 'totalRecords', 'startedAt', 'completedAt', 'distributed',
] as const satisfies readonly (keyof JobEntity)[];

/** A job as written: `JobEntity` attributes, `config` encoded as JSON text. */
export type JobRow = Narrowed<Pick<JobEntity, (typeof JOB_WRITE_KEYS)[number]>, {
  status: JobStatus;
  config: string;
  startedAt: number | null;
  completedAt: number | null;
}>;

/**
 * A job as read back: `JobEntity` attributes as a model read returns them
 * (`JobEntity.findByPk(id)`, `config` decoded), or as the store reads them.
 */
export type StoredJob = Read<Pick<JobEntity, 'id' | 'status' | 'config' | 'totalRecords' | 'distributed'>
  & Partial<Pick<JobEntity, 'startedAt' | 'completedAt'>>>;

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
    const distributed = isTrue(row.distributed);
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
