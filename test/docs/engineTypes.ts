/**
 * The few classes of the engine's packages that the documentation uses,
 * declared for the snippet compiler (the packages are not installable
 * here). Signatures follow @batchactions/core 0.0.6 and its import and
 * distributed packages (../shared/spec/PORTS.md and their READMEs); the
 * store slots are typed with this project's port types, so a snippet that
 * hands a `SequelizeStateStore` to the engine is checked against the
 * contract the store implements.
 *
 * Kept as text, written into the snippet compiler's folder only, so that
 * these ambient modules never reach the project's own type-check.
 */
export const ENGINE_DECLARATIONS = `
declare module '@batchactions/core' {
  import type { ParsedRecord } from '@batchactions/state-sequelize';
  export type {
    StateStore, DistributedStateStore, JobState, JobProgress, JobStatus, ProcessedRecord, RawRecord, ParsedRecord,
  } from '@batchactions/state-sequelize';
  export interface SourceMetadata { readonly fileName?: string; readonly fileSize?: number; readonly mimeType?: string }
  export interface DataSource {
    read(): AsyncIterable<string | Buffer>;
    sample(maxBytes?: number): Promise<string | Buffer>;
    metadata(): SourceMetadata;
  }
  export class BufferSource implements DataSource {
    constructor(data: string | Buffer, metadata?: Partial<SourceMetadata>);
    read(): AsyncIterable<string | Buffer>;
    sample(maxBytes?: number): Promise<string | Buffer>;
    metadata(): SourceMetadata;
  }
  export interface ProcessingContext {
    readonly jobId: string;
    readonly batchId: string;
    readonly batchIndex: number;
    readonly recordIndex: number;
    readonly totalRecords: number;
    readonly signal: AbortSignal;
  }
  export type RecordProcessorFn = (record: ParsedRecord, context: ProcessingContext) => Promise<void>;
}

declare module '@batchactions/import' {
  import type { DataSource, RecordProcessorFn } from '@batchactions/core';
  import type { Batch, JobProgress, JobStatus, ProcessedRecord, RawRecord, StateStore } from '@batchactions/state-sequelize';
  export type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'email' | 'array' | 'custom';
  export interface FieldDefinition {
    readonly name: string;
    readonly type: FieldType;
    readonly required: boolean;
    readonly pattern?: RegExp;
    readonly customValidator?: (value: unknown) => { valid: boolean; message?: string };
    readonly transform?: (value: unknown) => unknown;
    readonly defaultValue?: unknown;
    readonly separator?: string;
    readonly itemTransform?: (item: string) => string;
    readonly aliases?: readonly string[];
  }
  export interface SchemaDefinition {
    readonly fields: readonly FieldDefinition[];
    readonly strict?: boolean;
    readonly skipEmptyRows?: boolean;
    readonly uniqueFields?: readonly string[];
  }
  export interface SourceParser {
    parse(data: string | Buffer): AsyncIterable<RawRecord> | Iterable<RawRecord>;
  }
  export class CsvParser implements SourceParser {
    constructor(options?: { delimiter?: string; encoding?: string; hasHeader?: boolean });
    parse(data: string | Buffer): AsyncIterable<RawRecord>;
  }
  export interface BulkImportConfig {
    readonly schema: SchemaDefinition;
    readonly batchSize?: number;
    readonly maxConcurrentBatches?: number;
    readonly continueOnError?: boolean;
    readonly stateStore?: StateStore;
    readonly maxRetries?: number;
    readonly retryDelayMs?: number;
  }
  export class BulkImport {
    constructor(config: BulkImportConfig);
    static restore(jobId: string, config: BulkImportConfig): Promise<BulkImport | null>;
    from(source: DataSource, parser: SourceParser): this;
    start(processor: RecordProcessorFn): Promise<void>;
    pause(): Promise<void>;
    resume(): void;
    abort(): Promise<void>;
    getJobId(): string;
    getStatus(): { status: JobStatus; progress: JobProgress; batches: readonly Batch[] };
    getFailedRecords(): Promise<readonly ProcessedRecord[]>;
  }
}

declare module '@batchactions/distributed' {
  import type { DataSource, RecordProcessorFn } from '@batchactions/core';
  import type { SchemaDefinition, SourceParser } from '@batchactions/import';
  import type { StateStore } from '@batchactions/state-sequelize';
  export interface DistributedImportConfig {
    readonly schema: SchemaDefinition;
    readonly batchSize?: number;
    readonly continueOnError?: boolean;
    readonly stateStore: StateStore;
    readonly maxRetries?: number;
    readonly retryDelayMs?: number;
    readonly staleBatchTimeoutMs?: number;
  }
  export interface PrepareResult { readonly jobId: string; readonly totalRecords: number; readonly totalBatches: number }
  export interface DistributedBatchResult {
    readonly claimed: boolean;
    readonly batchId?: string;
    readonly batchIndex?: number;
    readonly processedCount: number;
    readonly failedCount: number;
    readonly jobComplete: boolean;
    readonly jobId: string;
  }
  export class DistributedImport {
    constructor(config: DistributedImportConfig);
    prepare(source: DataSource, parser: SourceParser): Promise<PrepareResult>;
    processWorkerBatch(jobId: string, processor: RecordProcessorFn, workerId: string): Promise<DistributedBatchResult>;
  }
}
`;
