/**
 * Property-based round trips through every database (fast-check): arbitrary
 * JSON-like records (any Unicode, NUL, quotes, backslashes, extreme doubles,
 * nested values), validation errors with every optional field, warnings,
 * processingError and retryCount; job states with a schema holding RegExp
 * patterns and functions, and batches. What comes back equals what went in,
 * with JSON semantics (undefined properties dropped, -0 read as 0), RegExps
 * kept as RegExps and functions stripped, as documented.
 */
import fc from 'fast-check';
import type { SequelizeStateStore } from '../../src';
import type { Batch, BatchStatus, JobState, JobStatus, ProcessedRecord, RecordStatus, ValidationError } from '../../src/ports';
import { DATABASES, freshStore } from '../helpers/databases';
import { jsonClone } from './helpers';

const NUM_RUNS = Number(process.env.ROUNDTRIP_RUNS ?? 60);

// Any code point (no lone surrogates, which the store refuses) plus the characters that break naive SQL and JSON handling.
const char = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '"', "'", '\\', '\n', '`', '$1', '?', ';', '\u2028', '😀') },
);
const text = fc.string({ unit: char, maxLength: 24 });
// Ids: the same without NUL, which ids may not hold.
const idChar = char.filter((c) => !c.includes('\u0000'));
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(Number.MAX_VALUE, Number.MIN_VALUE, -0, 2 ** 53 + 2, 1e-300, 0.1 + 0.2),
    text,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;
const object = fc.dictionary(text, json, { maxKeys: 6 });

const validationError: fc.Arbitrary<ValidationError> = fc.record(
  {
    field: text,
    message: text,
    code: fc.constantFrom('REQUIRED', 'TYPE_MISMATCH', 'PATTERN_MISMATCH', 'CUSTOM_VALIDATION', 'UNKNOWN_FIELD', 'DUPLICATE_VALUE', 'EXTERNAL_DUPLICATE'),
    value: json,
    severity: fc.constantFrom('error', 'warning'),
    category: fc.constantFrom('VALIDATION', 'FORMAT', 'DUPLICATE', 'PROCESSING', 'CUSTOM'),
    suggestion: text,
    metadata: object,
  },
  { requiredKeys: ['field', 'message', 'code'] },
) as fc.Arbitrary<ValidationError>;

const record = (index: number): fc.Arbitrary<ProcessedRecord> =>
  fc.record(
    {
      index: fc.constant(index),
      raw: object,
      parsed: object,
      status: fc.constantFrom<RecordStatus>('valid', 'invalid', 'processed', 'failed', 'pending'),
      errors: fc.array(validationError, { maxLength: 3 }),
      processingError: fc.string({ unit: char, maxLength: 200 }),
      retryCount: fc.nat({ max: 2 ** 31 - 1 }),
    },
    { requiredKeys: ['index', 'raw', 'parsed', 'status', 'errors'] },
  );

const records = fc
  .uniqueArray(fc.nat({ max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 6 })
  .chain((indices) => fc.tuple(...indices.map(record)));

const pattern = fc
  .tuple(text, fc.subarray(['g', 'i', 'm', 's', 'u']))
  .map(([source, flags]) => new RegExp(source.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), flags.join('')));

const field = fc.record(
  {
    name: text,
    type: fc.constantFrom('string', 'number', 'boolean', 'date', 'email', 'array', 'custom'),
    required: fc.boolean(),
    pattern,
    defaultValue: json,
    separator: text,
    aliases: fc.array(text, { maxLength: 3 }),
    customValidator: fc.constant((v: unknown) => ({ isValid: v !== null })),
    transform: fc.constant((v: unknown) => v),
  },
  { requiredKeys: ['name', 'type', 'required'] },
);

const config = fc.record(
  {
    batchSize: fc.integer({ min: 1, max: 100_000 }),
    maxConcurrentBatches: fc.nat({ max: 64 }),
    continueOnError: fc.boolean(),
    maxRetries: fc.nat({ max: 10 }),
    retryDelayMs: fc.nat({ max: 60_000 }),
    skipEmptyRows: fc.boolean(),
    schema: fc.record(
      { fields: fc.array(field, { maxLength: 4 }), strict: fc.boolean(), skipEmptyRows: fc.boolean(), uniqueFields: fc.array(text, { maxLength: 2 }) },
      { requiredKeys: ['fields'] },
    ),
  },
  { requiredKeys: ['batchSize'] },
);

const batches = fc.uniqueArray(fc.string({ unit: idChar, minLength: 1, maxLength: 40 }), { maxLength: 6 }).chain((ids) =>
  fc.tuple(...ids.map((id, index) =>
    fc.record(
      {
        id: fc.constant(id),
        index: fc.constant(index),
        status: fc.constantFrom<BatchStatus>('PENDING', 'PROCESSING', 'PAUSED', 'COMPLETED', 'FAILED'),
        records: fc.constant([]),
        processedCount: fc.nat({ max: 2 ** 31 - 1 }),
        failedCount: fc.nat({ max: 2 ** 31 - 1 }),
        recordStartIndex: fc.constant(index * 10),
        recordEndIndex: fc.constant(index * 10 + 9),
      },
      { requiredKeys: ['id', 'index', 'status', 'records', 'processedCount', 'failedCount'] },
    ) as fc.Arbitrary<Batch>)));

const jobState = (id: string): fc.Arbitrary<JobState> =>
  fc.record(
    {
      id: fc.constant(id),
      config,
      status: fc.constantFrom<JobStatus>('CREATED', 'PREVIEWING', 'PREVIEWED', 'PROCESSING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED'),
      batches,
      totalRecords: fc.nat({ max: 2 ** 31 - 1 }),
      startedAt: fc.integer({ min: 0, max: 2 ** 50 }),
      completedAt: fc.integer({ min: 0, max: 2 ** 50 }),
      distributed: fc.constant(true),
    },
    { requiredKeys: ['id', 'config', 'status', 'batches', 'totalRecords'] },
  ) as fc.Arbitrary<JobState>;

/** What the store promises to give back: JSON semantics, RegExps kept, functions dropped. */
function expectedConfig(value: unknown): unknown {
  if (typeof value === 'function') return undefined;
  if (value instanceof RegExp) return { regexp: value.source, flags: value.flags };
  if (Array.isArray(value)) return value.map((v) => expectedConfig(v) ?? null);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const e = expectedConfig(v);
      if (e !== undefined) out[k] = e;
    }
    return out;
  }
  return value === undefined ? undefined : jsonClone(value);
}

function countRegExps(value: unknown): number {
  if (value instanceof RegExp) return 1;
  if (value && typeof value === 'object') return Object.values(value).reduce<number>((n, v) => n + countRegExps(v), 0);
  return 0;
}

describe.each(DATABASES.map((d) => [d.name, d] as const))('property round trips on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  let store: SequelizeStateStore;
  let run = 0;
  beforeAll(async () => {
    ctx = await freshStore(db);
    store = ctx.store;
  });
  afterAll(async () => ctx?.drop());

  test('records: saveBatchRecords and saveProcessedRecord give back what went in', async () => {
    await fc.assert(
      fc.asyncProperty(records, async (recs) => {
        run += 1;
        const jobId = `prop-rec-${run}`;
        const expected = jsonClone(recs).sort((a, b) => a.index - b.index);
        await store.saveBatchRecords(jobId, 'batch', recs);
        expect(await store.getBatchRecords(jobId, 'batch')).toEqual(expected);
        // Saved one at a time (the engine's hot path) into another job: the same.
        for (const r of recs) await store.saveProcessedRecord(`${jobId}-single`, 'batch', r);
        expect(await store.getBatchRecords(`${jobId}-single`, 'batch')).toEqual(expected);
        const byStatus = [
          ...(await store.getFailedRecords(jobId)), ...(await store.getPendingRecords(jobId)), ...(await store.getProcessedRecords(jobId)),
        ].sort((a, b) => a.index - b.index);
        expect(byStatus).toEqual(expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('job states: saveJobState gives back the config (RegExps as RegExps, functions stripped) and the batches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer().chain(() => jobState(`prop-job-${++run}`)), async (job) => {
        await store.saveJobState(job);
        const back = await store.getJobState(job.id);
        expect(back).not.toBeNull();
        const { config: backConfig, ...rest } = back as JobState;
        const { config: inConfig, ...inRest } = job;
        expect(expectedConfig(backConfig)).toEqual(expectedConfig(inConfig));
        expect(countRegExps(backConfig)).toBe(countRegExps(inConfig));
        expect(rest).toEqual(jsonClone(inRest));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
