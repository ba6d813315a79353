/**
 * Pure unit tests of the mappers (no database): every field PORTS.md lists
 * survives `toRow` → (what a driver hands back) → `toDomain`; invalid input is
 * refused with an InvalidInputError that names the field.
 *
 * "What a driver hands back" is simulated in the forms the dialects really
 * use: JSON columns as text (raw queries, MariaDB LONGTEXT) or decoded,
 * BIGINT as a string (PostgreSQL), booleans as 1/0 (SQLite, MariaDB).
 */
import { InvalidInputError, StateStoreError, type ErrorContext } from '../../src/errors';
import { BatchMapper, type BatchRow, type StoredBatch } from '../../src/mappers/BatchMapper';
import { JobMapper, type JobRow, type StoredJob } from '../../src/mappers/JobMapper';
import { RecordMapper, type RecordRow, type StoredRecord } from '../../src/mappers/RecordMapper';
import { decodeJson, encodeJson, toNumber } from '../../src/mappers/json';
import { decodeConfig, encodeConfig } from '../../src/mappers/schema';
import {
  BATCH_STATUSES, JOB_STATUSES, MAX_ID_LENGTH, MAX_INT, RECORD_STATUSES,
  checkCount, checkDuration, checkId, checkObject, checkOptionalCount, checkOptionalEpoch, checkStatus, checkText,
} from '../../src/mappers/validate';
import type { Batch, JobConfig, JobState, ProcessedRecord, RawRecord } from '../../src/ports';

const CTX: ErrorContext = { operation: 'test', jobId: 'job-1' };

/** Runs `fn`, expects an InvalidInputError whose `context.field` is `field`, and returns it. */
function refused(fn: () => unknown, field: string): InvalidInputError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  expect(caught).toBeInstanceOf(StateStoreError);
  const error = caught as InvalidInputError;
  expect(error.context.field).toBe(field);
  expect(error.message).toContain(field);
  return error;
}

// ------------------------------------------------------------------ driver simulations

type Form = 'text' | 'decoded';
const FORMS: Form[] = ['text', 'decoded'];

/** A JSON column as a driver returns it: text, or already decoded. */
function column(text: string, form: Form): unknown {
  return form === 'text' ? text : JSON.parse(text);
}

function storedJob(row: JobRow, dialect: 'postgres' | 'mariadb' | 'sqlite', form: Form): StoredJob {
  const big = (n: number | null): number | string | null => (n === null ? null : dialect === 'postgres' ? String(n) : n);
  return {
    id: row.id,
    status: row.status,
    config: column(row.config, form),
    totalRecords: row.totalRecords,
    startedAt: big(row.startedAt),
    completedAt: big(row.completedAt),
    distributed: dialect === 'postgres' ? row.distributed : row.distributed ? 1 : 0,
  };
}

function storedRecord(row: RecordRow, form: Form): StoredRecord {
  return {
    recordIndex: row.recordIndex,
    status: row.status,
    raw: column(row.raw, form),
    parsed: column(row.parsed, form),
    errors: column(row.errors, form),
    // processing_error comes decoded: a model read decodes the JSON column, the store decodes its own reads
    processingError: row.processingError === null ? null : JSON.parse(row.processingError),
    retryCount: row.retryCount,
  };
}

function storedBatch(row: BatchRow, extra: Partial<StoredBatch> = {}): StoredBatch {
  return {
    batchId: row.batchId,
    batchIndex: row.batchIndex,
    status: row.status,
    processedCount: row.processedCount,
    failedCount: row.failedCount,
    workerId: null,
    claimedAt: null,
    recordStartIndex: row.recordStartIndex,
    recordEndIndex: row.recordEndIndex,
    ...extra,
  };
}

// ------------------------------------------------------------------ fixtures

const TRICKY_RAW: RawRecord = {
  unicode: 'Zoë 名前 ключ مرحبا 🚀👩‍👩‍👧 \u{1F600}',
  nul: 'a\u0000b\u0000',
  control: '\b\f\n\r\t\u0001\u001f\u007f\u2028\u2029',
  quotes: `"double" 'single' \\back\\slash /slash`,
  empty: '',
  int: 42,
  negative: -7,
  float: 0.1 + 0.2,
  tiny: 5e-324,
  huge: 1.7976931348623157e308,
  maxSafe: Number.MAX_SAFE_INTEGER,
  minSafe: Number.MIN_SAFE_INTEGER,
  zero: 0,
  yes: true,
  no: false,
  nothing: null,
  list: [1, 'two', null, true, [[]], { x: {} }],
  nested: { a: { b: { c: { d: [{ e: 'deep ✓' }] } } } },
  'key with spaces': 1,
  '': 'empty key',
  'ключ': 'non-ASCII key',
  'a.b[0]': 'path-like key',
};

function fullRecord(overrides: Partial<ProcessedRecord> = {}): ProcessedRecord {
  return {
    index: 123,
    raw: TRICKY_RAW,
    parsed: { ...TRICKY_RAW, int: 43, list: ['parsed'] },
    status: 'invalid',
    errors: [
      {
        field: 'email',
        message: 'Invalid «email» 📧',
        code: 'PATTERN_MISMATCH',
        value: 'not-an-email',
        severity: 'error',
        category: 'FORMAT',
        suggestion: 'Use name@example.com',
        metadata: { pattern: '^\\S+@\\S+$', attempts: [1, 2], nested: { ok: false, none: null } },
      },
      { field: 'name', message: 'trailing space', code: 'CUSTOM_VALIDATION', severity: 'warning', category: 'CUSTOM' },
      { field: 'id', message: 'duplicate', code: 'DUPLICATE_VALUE', value: 7, category: 'DUPLICATE' },
      { field: 'x', message: 'external', code: 'EXTERNAL_DUPLICATE', value: { id: 1, list: [null] } },
      { field: 'y', message: 'required', code: 'REQUIRED', value: null, severity: 'error', category: 'VALIDATION' },
      { field: 'z', message: 'type', code: 'TYPE_MISMATCH', value: false, category: 'PROCESSING' },
      { field: 'w', message: 'unknown', code: 'UNKNOWN_FIELD' },
    ],
    processingError: 'Error: boom 💥\n    at "fn" (file.ts:1:2) \\ \u0000 end',
    retryCount: 3,
    ...overrides,
  };
}

function userConfig(): JobConfig {
  return {
    id: 'cfg-1',
    batchSize: 500,
    maxConcurrentBatches: 4,
    continueOnError: true,
    maxRetries: 2,
    retryDelayMs: 250,
    skipEmptyRows: false,
    schema: {
      fields: [
        {
          name: 'email',
          type: 'email',
          required: true,
          pattern: /^[\w.+-]+@example\.(com|org)$/iu,
          customValidator: () => ({ isValid: true }),
          transform: (v: unknown) => v,
          aliases: ['mail', 'correo'],
        },
        { name: 'path', type: 'string', required: false, pattern: /a\/b\\c[/]\u{1F680}/dgimsuy, defaultValue: '' },
        { name: 'tags', type: 'array', required: false, separator: ';', itemTransform: (s: string) => s, defaultValue: [] },
        { name: 'n', type: 'number', required: false, defaultValue: 0 },
        { name: 'b', type: 'boolean', required: false, defaultValue: false },
        { name: 'c', type: 'custom', required: false, defaultValue: null, customValidator: () => ({ isValid: false }) },
        { name: 'obj', type: 'custom', required: false, defaultValue: { nested: { list: [1, 'ü', { r: 1 }] } } },
      ],
      strict: true,
      skipEmptyRows: true,
      uniqueFields: ['email', 'path'],
    },
  };
}

function storedConfig(): JobConfig {
  return {
    id: 'cfg-1',
    batchSize: 500,
    maxConcurrentBatches: 4,
    continueOnError: true,
    maxRetries: 2,
    retryDelayMs: 250,
    skipEmptyRows: false,
    schema: {
      fields: [
        { name: 'email', type: 'email', required: true, pattern: /^[\w.+-]+@example\.(com|org)$/iu, aliases: ['mail', 'correo'] },
        { name: 'path', type: 'string', required: false, pattern: /a\/b\\c[/]\u{1F680}/dgimsuy, defaultValue: '' },
        { name: 'tags', type: 'array', required: false, separator: ';', defaultValue: [] },
        { name: 'n', type: 'number', required: false, defaultValue: 0 },
        { name: 'b', type: 'boolean', required: false, defaultValue: false },
        { name: 'c', type: 'custom', required: false, defaultValue: null },
        { name: 'obj', type: 'custom', required: false, defaultValue: { nested: { list: [1, 'ü', { r: 1 }] } } },
      ],
      strict: true,
      skipEmptyRows: true,
      uniqueFields: ['email', 'path'],
    },
  };
}

function batch(overrides: Partial<Batch> = {}): Batch {
  return {
    id: '7f1c9a34-5b0e-4c61-9d1e-2b7c3f9a8e01',
    index: 3,
    status: 'COMPLETED',
    records: [],
    processedCount: 480,
    failedCount: 20,
    ...overrides,
  };
}

function jobState(overrides: Partial<JobState> = {}): JobState {
  return {
    id: 'job-1',
    config: userConfig(),
    status: 'PROCESSING',
    batches: [],
    totalRecords: 10_000,
    startedAt: 1_764_000_000_123,
    completedAt: 1_764_000_123_456,
    ...overrides,
  };
}

// ------------------------------------------------------------------ RecordMapper

describe('RecordMapper', () => {
  test.each(FORMS)('round trip is lossless for every field (JSON columns read as %s)', (form) => {
    const record = fullRecord();
    const row = RecordMapper.toRow('job-1', 'batch-1', record, 'saveProcessedRecord');
    expect(row).toMatchObject({ jobId: 'job-1', batchId: 'batch-1', recordIndex: 123, status: 'invalid', retryCount: 3 });
    for (const key of ['raw', 'parsed', 'errors', 'processingError'] as const) expect(typeof row[key]).toBe('string');
    expect(RecordMapper.toDomain(storedRecord(row, form))).toStrictEqual(record);
  });

  test.each(['valid', 'invalid', 'processed', 'failed', 'pending'] as const)('status %s round-trips', (status) => {
    const record = fullRecord({ status });
    const back = RecordMapper.toDomain(storedRecord(RecordMapper.toRow('j', 'b', record, 'op'), 'text'));
    expect(back.status).toBe(status);
    expect(back).toStrictEqual(record);
  });

  test('optional fields: absent stays absent, 0 and empty string stay values', () => {
    const bare: ProcessedRecord = { index: 0, raw: {}, parsed: {}, status: 'processed', errors: [] };
    const bareRow = RecordMapper.toRow('j', 'b', bare, 'op');
    expect(bareRow.processingError).toBeNull();
    expect(bareRow.retryCount).toBeNull();
    const back = RecordMapper.toDomain(storedRecord(bareRow, 'text'));
    expect(back).toStrictEqual(bare);
    expect(back).not.toHaveProperty('processingError');
    expect(back).not.toHaveProperty('retryCount');

    const zero: ProcessedRecord = { ...bare, status: 'failed', processingError: '', retryCount: 0 };
    expect(RecordMapper.toDomain(storedRecord(RecordMapper.toRow('j', 'b', zero, 'op'), 'decoded'))).toStrictEqual(zero);
  });

  test('processingError that looks like JSON stays the same string', () => {
    for (const message of ['"quoted"', '{"a":1}', '123', 'null', 'true', '[1]', ' ']) {
      const record: ProcessedRecord = { index: 1, raw: {}, parsed: {}, status: 'failed', errors: [], processingError: message };
      expect(RecordMapper.toDomain(storedRecord(RecordMapper.toRow('j', 'b', record, 'op'), 'text')).processingError).toBe(message);
    }
  });

  test('a missing `parsed` is stored as {} (the engine always sends one; a pending record may not)', () => {
    const record = { index: 4, raw: { a: 1 }, status: 'pending', errors: [] } as unknown as ProcessedRecord;
    const back = RecordMapper.toDomain(storedRecord(RecordMapper.toRow('j', 'b', record, 'op'), 'text'));
    expect(back).toStrictEqual({ index: 4, raw: { a: 1 }, parsed: {}, status: 'pending', errors: [] });
  });

  test('index and retryCount come back as numbers when the driver returns strings', () => {
    const row = RecordMapper.toRow('j', 'b', fullRecord({ index: MAX_INT, retryCount: MAX_INT }), 'op');
    const back = RecordMapper.toDomain({ ...storedRecord(row, 'text'), recordIndex: String(MAX_INT), retryCount: String(MAX_INT) });
    expect(back.index).toBe(MAX_INT);
    expect(back.retryCount).toBe(MAX_INT);
  });

  test('undefined object properties are dropped, as JSON does', () => {
    const record: ProcessedRecord = { index: 1, raw: { a: undefined, b: 1 }, parsed: {}, status: 'processed', errors: [] };
    expect(RecordMapper.toDomain(storedRecord(RecordMapper.toRow('j', 'b', record, 'op'), 'text')).raw).toStrictEqual({ b: 1 });
  });

  test('invalid input is refused with an InvalidInputError naming the field, the job and the record', () => {
    const ok = fullRecord();
    const row = (r: unknown, jobId = 'job-1', batchId = 'batch-1') =>
      RecordMapper.toRow(jobId, batchId, r as ProcessedRecord, 'saveProcessedRecord');
    refused(() => row(null), 'record');
    refused(() => row([]), 'record');
    refused(() => row({ ...ok, index: -1 }), 'record.index');
    refused(() => row({ ...ok, index: 1.5 }), 'record.index');
    refused(() => row({ ...ok, index: MAX_INT + 1 }), 'record.index');
    refused(() => row({ ...ok, index: '3' }), 'record.index');
    refused(() => row({ ...ok, status: 'done' }), 'record.status');
    refused(() => row({ ...ok, status: 'PROCESSED' }), 'record.status');
    refused(() => row({ ...ok, raw: null }), 'record.raw');
    refused(() => row({ ...ok, raw: 'text' }), 'record.raw');
    refused(() => row({ ...ok, errors: 'none' }), 'record.errors');
    refused(() => row({ ...ok, errors: {} }), 'record.errors');
    refused(() => row({ ...ok, raw: { s: 'a\uD800' } }), 'record.raw.s');
    refused(() => row({ ...ok, processingError: '\uDC00' }), 'record.processingError');
    refused(() => row({ ...ok, processingError: 42 }), 'record.processingError (a string)');
    refused(() => row({ ...ok, retryCount: -1 }), 'record.retryCount');
    refused(() => row({ ...ok, retryCount: 0.5 }), 'record.retryCount');
    refused(() => row(ok, ''), 'jobId');
    refused(() => row(ok, 'x'.repeat(MAX_ID_LENGTH + 1)), 'jobId');
    refused(() => row(ok, 'job-1', 'b\u0000'), 'batchId');
    refused(() => row({ ...ok, raw: { f: () => 1 } }), 'record.raw.f');
    refused(() => row({ ...ok, raw: { deep: { list: [1, Symbol('s')] } } }), 'record.raw.deep.list[1]');
    refused(() => row({ ...ok, raw: { list: [1, undefined] } }), 'record.raw.list[1]');
    refused(() => row({ ...ok, raw: { n: NaN } }), 'record.raw.n');
    refused(() => row({ ...ok, raw: { n: Infinity } }), 'record.raw.n');
    refused(() => row({ ...ok, raw: { n: 10n } }), 'record.raw.n');
    refused(() => row({ ...ok, raw: { m: new Map([[1, 2]]) } }), 'record.raw.m');
    refused(() => row({ ...ok, raw: { s: new Set([1]) } }), 'record.raw.s');
    refused(() => row({ ...ok, raw: { r: /x/ } }), 'record.raw.r');
    refused(() => row({ ...ok, raw: { buf: new Uint16Array(1) } }), 'record.raw.buf');
    refused(() => row({ ...ok, parsed: { f: () => 1 } }), 'record.parsed.f');
    refused(() => row({ ...ok, errors: [{ field: 'a', message: 'b', code: 'REQUIRED', value: NaN }] }), 'record.errors[0].value');
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    refused(() => row({ ...ok, raw: circular }), 'record.raw.self');
    const error = refused(() => row({ ...ok, index: 9, status: 'nope' }), 'record.status');
    expect(error.context).toMatchObject({ operation: 'saveProcessedRecord', jobId: 'job-1', batchId: 'batch-1', recordIndex: 9 });
    expect(error.message).toContain('"job-1"');
    expect(error.message).toContain('record 9');
  });

  test('the same object reached twice (not a cycle) is fine', () => {
    const shared = { x: 1 };
    const record: ProcessedRecord = { index: 1, raw: { a: shared, b: shared, list: [shared, shared] }, parsed: {}, status: 'processed', errors: [] };
    expect(RecordMapper.toDomain(storedRecord(RecordMapper.toRow('j', 'b', record, 'op'), 'text'))).toStrictEqual(record);
  });
});

// ------------------------------------------------------------------ JobMapper

describe('JobMapper', () => {
  test.each(['postgres', 'mariadb', 'sqlite'] as const)('round trip is lossless on %s-shaped rows, both JSON forms', (dialect) => {
    for (const form of FORMS) {
      const job = jobState();
      const row = JobMapper.toRow(job, CTX);
      expect(row).toStrictEqual({
        id: 'job-1',
        status: 'PROCESSING',
        config: expect.any(String),
        totalRecords: 10_000,
        startedAt: 1_764_000_000_123,
        completedAt: 1_764_000_123_456,
        distributed: false,
      });
      const back = JobMapper.toDomain(storedJob(row, dialect, form), []);
      expect(back).toStrictEqual({ ...job, config: storedConfig() });
      expect(typeof back.startedAt).toBe('number');
      expect(typeof back.completedAt).toBe('number');
      expect(back).not.toHaveProperty('distributed');
    }
  });

  test('a RegExp in the schema comes back as an equal RegExp; functions are dropped', () => {
    const back = JobMapper.toDomain(storedJob(JobMapper.toRow(jobState(), CTX), 'postgres', 'text'), []);
    const fields = (back.config.schema as { fields: Array<Record<string, unknown>> }).fields;
    const email = fields[0] as Record<string, unknown>;
    expect(email.pattern).toBeInstanceOf(RegExp);
    expect((email.pattern as RegExp).source).toBe('^[\\w.+-]+@example\\.(com|org)$');
    expect((email.pattern as RegExp).flags).toBe('iu');
    expect((email.pattern as RegExp).test('A.b+c@EXAMPLE.ORG')).toBe(true);
    expect((fields[1]?.pattern as RegExp).flags).toBe('dgimsuy');
    for (const f of fields) {
      expect(f).not.toHaveProperty('customValidator');
      expect(f).not.toHaveProperty('transform');
      expect(f).not.toHaveProperty('itemTransform');
    }
  });

  test('every job status, distributed true, and absent optional fields', () => {
    for (const status of JOB_STATUSES) {
      const job: JobState = { id: `j-${status}`, config: { batchSize: 1 }, status: status as JobState['status'], batches: [], totalRecords: 0 };
      for (const dialect of ['postgres', 'mariadb', 'sqlite'] as const) {
        const back = JobMapper.toDomain(storedJob(JobMapper.toRow(job, CTX), dialect, 'text'), []);
        expect(back).toStrictEqual(job);
        expect(back).not.toHaveProperty('startedAt');
        expect(back).not.toHaveProperty('completedAt');
      }
    }
    const distributed = jobState({ distributed: true, config: { batchSize: 2 } });
    for (const dialect of ['postgres', 'mariadb', 'sqlite'] as const) {
      expect(JobMapper.toDomain(storedJob(JobMapper.toRow(distributed, CTX), dialect, 'decoded'), [])).toStrictEqual(distributed);
    }
    expect(JobMapper.toDomain({ ...storedJob(JobMapper.toRow(distributed, CTX), 'sqlite', 'text'), distributed: '1' }, []).distributed).toBe(true);
  });

  test('epoch-ms timestamps: 0, the largest Date, and strings from PostgreSQL BIGINT all come back as numbers', () => {
    for (const [startedAt, completedAt] of [[0, 1], [1_764_000_000_123, 8_640_000_000_000_000], [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]]) {
      const job = jobState({ startedAt, completedAt, config: { batchSize: 1 } });
      const back = JobMapper.toDomain(storedJob(JobMapper.toRow(job, CTX), 'postgres', 'text'), []);
      expect(back.startedAt).toBe(startedAt);
      expect(back.completedAt).toBe(completedAt);
    }
  });

  test('batches given to toDomain are passed through; toRow ignores them (BatchMapper maps them)', () => {
    const batches = [batch({ index: 0 }), batch({ id: 'b2', index: 1 })];
    const row = JobMapper.toRow(jobState({ batches }), CTX);
    expect(row).not.toHaveProperty('batches');
    expect(JobMapper.toDomain(storedJob(row, 'sqlite', 'text'), batches).batches).toBe(batches);
  });

  test('invalid input is refused with an InvalidInputError naming the field and the job', () => {
    const ok = jobState();
    const row = (j: unknown) => JobMapper.toRow(j as JobState, { operation: 'saveJobState' });
    refused(() => row(null), 'job');
    refused(() => row({ ...ok, id: '' }), 'job.id');
    refused(() => row({ ...ok, id: 42 }), 'job.id');
    refused(() => row({ ...ok, id: 'x'.repeat(MAX_ID_LENGTH + 1) }), 'job.id');
    refused(() => row({ ...ok, id: 'bad\uD800' }), 'job.id');
    refused(() => row({ ...ok, status: 'processing' }), 'job.status');
    refused(() => row({ ...ok, config: null }), 'job.config');
    refused(() => row({ ...ok, config: { batchSize: 0.5 } }), 'job.config.batchSize');
    refused(() => row({ ...ok, config: {} }), 'job.config.batchSize');
    refused(() => row({ ...ok, batches: 'none' }), 'job.batches (an array)');
    refused(() => row({ ...ok, totalRecords: -1 }), 'job.totalRecords');
    refused(() => row({ ...ok, totalRecords: 1.5 }), 'job.totalRecords');
    refused(() => row({ ...ok, startedAt: -1 }), 'job.startedAt');
    refused(() => row({ ...ok, startedAt: 1.5 }), 'job.startedAt');
    refused(() => row({ ...ok, startedAt: '1764000000123' }), 'job.startedAt');
    refused(() => row({ ...ok, startedAt: Number.MAX_SAFE_INTEGER + 1 }), 'job.startedAt');
    refused(() => row({ ...ok, completedAt: NaN }), 'job.completedAt');
    refused(() => row({ ...ok, distributed: 'yes' }), 'job.distributed (a boolean)');
    refused(() => row({ ...ok, config: { batchSize: 1, schema: { n: 1n } } }), 'job.config.schema.n');
    refused(() => row({ ...ok, config: { batchSize: 1, schema: { fields: [{ defaultValue: NaN }] } } }), 'job.config.schema.fields[0].defaultValue');
    const error = refused(() => row({ ...ok, status: 'DONE' }), 'job.status');
    expect(error.context).toMatchObject({ operation: 'saveJobState', jobId: 'job-1' });
    expect(error.message).toContain('"job-1"');
  });
});

// ------------------------------------------------------------------ BatchMapper

describe('BatchMapper', () => {
  test('round trip is lossless for a single-process batch (records are not stored: they come back [])', () => {
    const withRecords = batch({ records: [fullRecord()] });
    const row = BatchMapper.toRow('job-1', withRecords, 0, CTX);
    expect(row).toStrictEqual({
      jobId: 'job-1',
      batchId: withRecords.id,
      batchIndex: 3,
      status: 'COMPLETED',
      processedCount: 480,
      failedCount: 20,
      recordStartIndex: null,
      recordEndIndex: null,
    });
    const back = BatchMapper.toDomain(storedBatch(row));
    expect(back).toStrictEqual(batch());
    for (const key of ['workerId', 'claimedAt', 'recordStartIndex', 'recordEndIndex']) expect(back).not.toHaveProperty(key);
  });

  test('every batch status round-trips', () => {
    for (const status of BATCH_STATUSES) {
      const b = batch({ status: status as Batch['status'] });
      expect(BatchMapper.toDomain(storedBatch(BatchMapper.toRow('j', b, 0, CTX)))).toStrictEqual(b);
    }
  });

  test('distributed fields come back as numbers, from numbers or PostgreSQL strings', () => {
    const b = batch({ index: 0, status: 'PROCESSING', recordStartIndex: 0, recordEndIndex: 499 });
    const row = BatchMapper.toRow('j', b, 0, CTX);
    const claimed = { workerId: 'worker-ü', claimedAt: 1_764_000_000_999 };
    expect(BatchMapper.toDomain(storedBatch(row, claimed))).toStrictEqual({ ...b, ...claimed });
    expect(BatchMapper.toDomain(storedBatch(row, {
      ...claimed, claimedAt: '1764000000999', batchIndex: '0', processedCount: '480', failedCount: '20', recordStartIndex: '0', recordEndIndex: '499',
    }))).toStrictEqual({ ...b, ...claimed });
  });

  test('a batch stored without an index takes the inferred one; a stored index wins', () => {
    const row = storedBatch(BatchMapper.toRow('j', batch(), 0, CTX), { batchIndex: null });
    expect(BatchMapper.toDomain(row, 7).index).toBe(7);
    expect(BatchMapper.toDomain({ ...row, batchIndex: 3 }, 7).index).toBe(3);
  });

  test('invalid input is refused with an InvalidInputError naming the batch position and field', () => {
    const row = (b: unknown, position = 2) => BatchMapper.toRow('job-1', b as Batch, position, { operation: 'saveJobState', jobId: 'job-1' });
    refused(() => row(null), 'job.batches[2]');
    refused(() => row({ ...batch(), id: '' }), 'job.batches[2].id');
    refused(() => row({ ...batch(), id: undefined }), 'job.batches[2].id');
    refused(() => row({ ...batch(), index: -1 }, 5), 'job.batches[5].index');
    refused(() => row({ ...batch(), status: 'DONE' }), 'job.batches[2].status');
    refused(() => row({ ...batch(), processedCount: 1.5 }), 'job.batches[2].processedCount');
    refused(() => row({ ...batch(), failedCount: -3 }), 'job.batches[2].failedCount');
    refused(() => row({ ...batch(), recordStartIndex: -1 }), 'job.batches[2].recordStartIndex');
    refused(() => row({ ...batch(), recordEndIndex: 'x' }), 'job.batches[2].recordEndIndex');
    const error = refused(() => row({ ...batch(), recordStartIndex: 10, recordEndIndex: 9 }), 'job.batches[2].recordEndIndex (>= recordStartIndex 10; got 9)');
    expect(error.context).toMatchObject({ jobId: 'job-1', batchId: batch().id });
    expect(error.message).toContain(batch().id);
  });
});

// ------------------------------------------------------------------ json.ts

describe('json', () => {
  test('encodeJson/decodeJson round-trip JSON values, from text or already decoded', () => {
    for (const value of [TRICKY_RAW, [], {}, [TRICKY_RAW], 'text \u0000', 0, null, true]) {
      expect(decodeJson(encodeJson(value, 'v', CTX))).toStrictEqual(value);
    }
    // JSON columns hold objects and arrays, which a driver may hand back decoded
    for (const value of [TRICKY_RAW, [], {}, [TRICKY_RAW]]) {
      expect(decodeJson(JSON.parse(encodeJson(value, 'v', CTX)))).toStrictEqual(value);
    }
  });

  test('a Date (anything with toJSON) is stored as what toJSON returns', () => {
    expect(decodeJson(encodeJson({ at: new Date(0) }, 'v', CTX))).toStrictEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  test('encodeJson refuses what JSON would silently change, naming the path', () => {
    refused(() => encodeJson(() => 1, 'v', CTX), 'v');
    refused(() => encodeJson({ a: [{ b: Symbol('x') }] }, 'v', CTX), 'v.a[0].b');
    refused(() => encodeJson({ a: -Infinity }, 'v', CTX), 'v.a');
    refused(() => encodeJson({ a: new WeakMap() }, 'v', CTX), 'v.a');
    refused(() => encodeJson({ a: new Uint8Array(2) }, 'v', CTX), 'v.a');
    refused(() => encodeJson({ a: new ArrayBuffer(2) }, 'v', CTX), 'v.a');
    const loop: unknown[] = [];
    loop.push(loop);
    refused(() => encodeJson(loop, 'v', CTX), 'v[0]');
  });

  test('toNumber reads numbers, numeric strings and BigInts; null/undefined/garbage give undefined', () => {
    expect(toNumber(5)).toBe(5);
    expect(toNumber('1764000000123')).toBe(1_764_000_000_123);
    expect(toNumber('-2')).toBe(-2);
    expect(toNumber(12n)).toBe(12);
    expect(toNumber(0)).toBe(0);
    expect(toNumber('0')).toBe(0);
    expect(toNumber(null)).toBeUndefined();
    expect(toNumber(undefined)).toBeUndefined();
    expect(toNumber('abc')).toBeUndefined();
  });
});

// ------------------------------------------------------------------ schema.ts

describe('schema', () => {
  test('encodeConfig drops functions anywhere and tags RegExps; decodeConfig restores them', () => {
    const encoded = encodeConfig(userConfig());
    const text = JSON.stringify(encoded);
    expect(text).not.toContain('customValidator');
    expect(text).not.toContain('itemTransform');
    expect(text).not.toContain('"transform"');
    expect(decodeConfig(JSON.parse(text))).toStrictEqual(storedConfig());
  });

  test('a RegExp anywhere (nested, in arrays) survives; a function inside an array becomes null', () => {
    const config = {
      batchSize: 1,
      schema: { deep: { list: [/a/g, { p: /\d+/ }], fn: () => 1 }, fns: [() => 1, 2] },
    } as unknown as JobConfig;
    expect(decodeConfig(JSON.parse(JSON.stringify(encodeConfig(config))))).toStrictEqual({
      batchSize: 1,
      schema: { deep: { list: [/a/g, { p: /\d+/ }] }, fns: [null, 2] },
    });
  });

  test('the input config is not modified', () => {
    const config = userConfig();
    encodeConfig(config);
    const fields = (config.schema as { fields: Array<Record<string, unknown>> }).fields;
    expect(typeof fields[0]?.customValidator).toBe('function');
    expect(fields[0]?.pattern).toBeInstanceOf(RegExp);
  });

  test('a plain object that looks like the RegExp tag stays a plain object', () => {
    const lookalike = { __regexp: { source: 'a', flags: 'g' } };
    const config = {
      batchSize: 1,
      schema: {
        meta: lookalike,
        real: /a/g,
        escaped: { __escaped: { __regexp: { source: 'b', flags: '' } } },
        list: [{ __escaped: 1 }, { __regexp: null }, { __regexp: { source: 'c', flags: 'i' }, other: 1 }],
      },
    } as unknown as JobConfig;
    const back = decodeConfig(JSON.parse(JSON.stringify(encodeConfig(config))));
    expect(back).toStrictEqual(config);
    expect((back.schema as { meta: unknown }).meta).not.toBeInstanceOf(RegExp);
  });
});

// ------------------------------------------------------------------ validate.ts

describe('validate', () => {
  test('checkId', () => {
    expect(checkId('a', 'f', CTX)).toBe('a');
    expect(checkId('x'.repeat(MAX_ID_LENGTH), 'f', CTX)).toHaveLength(255);
    expect(checkId('名前🚀', 'f', CTX)).toBe('名前🚀');
    refused(() => checkId('', 'f', CTX), 'f');
    refused(() => checkId('x'.repeat(MAX_ID_LENGTH + 1), 'f', CTX), 'f');
    refused(() => checkId('a\u0000', 'f', CTX), 'f');
    refused(() => checkId('\uDC00', 'f', CTX), 'f');
    refused(() => checkId('\uD83D', 'f', CTX), 'f');
    refused(() => checkId(1, 'f', CTX), 'f');
    refused(() => checkId(undefined, 'f', CTX), 'f');
  });

  test('checkCount and checkOptionalCount', () => {
    expect(checkCount(0, 'c', CTX)).toBe(0);
    expect(checkCount(MAX_INT, 'c', CTX)).toBe(MAX_INT);
    for (const bad of [-1, 0.5, MAX_INT + 1, NaN, Infinity, '1', null, undefined]) refused(() => checkCount(bad, 'c', CTX), 'c');
    expect(checkOptionalCount(undefined, 'c', CTX)).toBeNull();
    expect(checkOptionalCount(null, 'c', CTX)).toBeNull();
    expect(checkOptionalCount(0, 'c', CTX)).toBe(0);
    refused(() => checkOptionalCount(-1, 'c', CTX), 'c');
  });

  test('checkOptionalEpoch', () => {
    expect(checkOptionalEpoch(undefined, 't', CTX)).toBeNull();
    expect(checkOptionalEpoch(null, 't', CTX)).toBeNull();
    expect(checkOptionalEpoch(0, 't', CTX)).toBe(0);
    expect(checkOptionalEpoch(Number.MAX_SAFE_INTEGER, 't', CTX)).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, '0', new Date(0)]) refused(() => checkOptionalEpoch(bad, 't', CTX), 't');
  });

  test('checkDuration', () => {
    expect(checkDuration(0, 'd', CTX)).toBe(0);
    expect(checkDuration(1.5, 'd', CTX)).toBe(1.5);
    for (const bad of [-1, NaN, Infinity, '5']) refused(() => checkDuration(bad, 'd', CTX), 'd');
  });

  test('checkStatus accepts exactly the engine literals', () => {
    expect([...JOB_STATUSES].sort()).toStrictEqual(['ABORTED', 'COMPLETED', 'CREATED', 'FAILED', 'PAUSED', 'PREVIEWED', 'PREVIEWING', 'PROCESSING']);
    expect([...BATCH_STATUSES].sort()).toStrictEqual(['COMPLETED', 'FAILED', 'PAUSED', 'PENDING', 'PROCESSING']);
    expect([...RECORD_STATUSES].sort()).toStrictEqual(['failed', 'invalid', 'pending', 'processed', 'valid']);
    expect(checkStatus('valid', RECORD_STATUSES, 's', CTX)).toBe('valid');
    for (const bad of ['VALID', 'completed', '', null, 1]) refused(() => checkStatus(bad, RECORD_STATUSES, 's', CTX), 's');
  });

  test('checkObject and checkText', () => {
    expect(checkObject({}, 'o', CTX)).toStrictEqual({});
    for (const bad of [null, [], 'x', 1, undefined]) refused(() => checkObject(bad, 'o', CTX), 'o');
    expect(checkText('a\u0000b 🚀', 't', CTX)).toBe('a\u0000b 🚀');
    refused(() => checkText('\uD800x', 't', CTX), 't');
    refused(() => checkText(5, 't', CTX), 't');
  });
});
