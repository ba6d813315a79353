/** The CLI's pure parsing and formatting, and URL parsing (no database). */
import * as os from 'os';
import { parseDatabaseUrl, redactUrl } from '../../src/cli/connect';
import { CliError } from '../../src/cli/errors';
import {
  batchHoldings, countBatches, csvField, failedRecordsCsv, formatDuration, formatJobList, parseDuration, parseInteger, parseStatuses,
  progressFigures, reclaimWarnings, suggestDuration,
} from '../../src/cli/format';
import { cliVersion } from '../../src/cli/main';
import { expectedFailures, generateCsv, parseCsv, processRecord } from '../../demo/csv';
import { batchesText, etaText } from '../../demo/progress';
import type { BatchDetail, JobProgress, ProcessedRecord } from '../../src';

describe('parseDuration', () => {
  it.each([
    ['1500', 1500], ['250ms', 250], ['30s', 30_000], ['1.5s', 1500], ['5m', 300_000], ['2h', 7_200_000], ['7d', 604_800_000], ['1w', 604_800_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text, '--x')).toBe(ms);
  });
  it.each(['', 'soon', '-5s', '7 days', '1y'])('rejects %j as a usage error', (text) => {
    expect(() => parseDuration(text, '--x')).toThrow(CliError);
    try { parseDuration(text, '--x'); } catch (e) { expect((e as CliError).exitCode).toBe(2); }
  });
});

describe('parseInteger and parseStatuses', () => {
  it('accepts integers in range only', () => {
    expect(parseInteger('10', '--n', 1, 10)).toBe(10);
    for (const bad of ['0', '11', '1.5', 'x', '-1', '']) expect(() => parseInteger(bad, '--n', 1, 10)).toThrow(/--n must be an integer from 1 to 10/);
  });
  it('reads comma-separated statuses in any case, once each', () => {
    expect(parseStatuses('processing, FAILED,failed', '--status')).toEqual(['PROCESSING', 'FAILED']);
    expect(() => parseStatuses('DONE', '--status')).toThrow(/unknown status "DONE"/);
    expect(() => parseStatuses(' , ', '--status')).toThrow(/at least one status/);
  });
});

describe('formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_340)).toBe('12.3s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(7 * 86_400_000)).toBe('7d');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 04h');
  });
  it("words progress from the store's figures only, the same for list, show and watch", () => {
    const p: JobProgress = {
      totalRecords: 2, processedRecords: 1, failedRecords: 1, pendingRecords: 0, percentage: 100, currentBatch: 0, totalBatches: 1, elapsedMs: 5,
    };
    const counts = countBatches([{ status: 'FAILED' }]);
    expect(counts).toEqual({ total: 1, pending: 0, processing: 0, paused: 0, completed: 0, failed: 1 });
    expect(progressFigures(p, counts)).toBe('100% of 2 records: 1 processed, 1 failed, 0 pending; batches 0/1 completed, 1 failed');
    // The percentage is the store's, not recomputed from the counts.
    expect(progressFigures({ ...p, percentage: 42 }, counts)).toMatch(/^42% of 2 records/);
  });
  it('quotes CSV fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('x\ny')).toBe('"x\ny"');
    expect(csvField(null)).toBe('');
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
  });
  it('exports failed records as CSV that parses back, raw fields as columns', () => {
    const records: ProcessedRecord[] = [
      { index: 7, raw: { name: 'Doe, Jane', email: 'x' }, parsed: {}, status: 'invalid', errors: [{ field: 'email', message: 'bad', code: 'PATTERN_MISMATCH' }] },
      { index: 9, raw: { name: 'Bob', extra: 'e' }, parsed: {}, status: 'failed', errors: [], processingError: 'line1\nline2 "q"', retryCount: 3 },
    ];
    expect(parseCsv(failedRecordsCsv(records))).toEqual([
      { index: '7', status: 'invalid', retries: '', errors: 'email: bad [PATTERN_MISMATCH]', processing_error: '', name: 'Doe, Jane', email: 'x', extra: '' },
      { index: '9', status: 'failed', retries: '3', errors: '', processing_error: 'line1\nline2 "q"', name: 'Bob', email: '', extra: 'e' },
    ]);
  });
  const batch = (index: number, claimedAt: number | undefined, extra: Partial<BatchDetail> = {}): BatchDetail => ({
    id: `b${index}`, index, status: 'PROCESSING', processedCount: 0, failedCount: 0, workerId: `w${index}`, version: 1,
    ...(claimedAt !== undefined ? { claimedAt } : {}), ...extra,
  });
  it('marks a lease stale only when its last renewal (else its claim) is older than the threshold', () => {
    const h = batchHoldings([
      batch(0, 1000), batch(1, 9_000), batch(2, 1000, { status: 'COMPLETED' }), batch(3, undefined), batch(4, 1000, { renewedAt: 8000 }),
    ], 10_000, 5000);
    expect(h.map((x) => [x.batchIndex, x.stale, x.ageMs])).toEqual([[0, true, 9000], [1, false, 1000], [3, false, undefined], [4, false, 2000]]);
  });
  it('warns before a reclaim that takes renewed leases, or with a --stale-ms below the floor', () => {
    const now = 1_000_000;
    // #0 never renewed (a dead worker), #1 renewed 40 s ago (alive, renewing slowly), #2 renewed recently (not stale).
    const batches = [batch(0, now - 120_000), batch(1, now - 120_000, { renewedAt: now - 40_000 }), batch(2, now - 120_000, { renewedAt: now - 1000 })];
    expect(reclaimWarnings(batches, now, 60_000)).toEqual([]);
    const [renewed, ...rest] = reclaimWarnings(batches, now, 30_000);
    expect(rest).toEqual([]);
    expect(renewed).toMatch(/^warning: batch #1 \(w1, renewed 40\.0s ago\) was renewed after being claimed/);
    expect(renewed).toContain('use a longer --stale-ms (e.g. --stale-ms 2m)');
    expect(renewed).not.toMatch(/#0|#2/);
    const short = reclaimWarnings([], now, 1000);
    expect(short).toHaveLength(1);
    expect(short[0]).toMatch(/^warning: --stale-ms 1\.0s is shorter than 30s: a live worker/);
    expect(suggestDuration(45_000)).toBe('45s');
    expect(suggestDuration(61_000)).toBe('2m');
    expect(suggestDuration(7_200_000)).toBe('2h');
  });
  it('lists no jobs as "No jobs."', () => {
    expect(formatJobList([], 0)).toBe('No jobs.');
  });
  it('finds the package version from the sources (as ts-node runs them), else says unknown', () => {
    expect(cliVersion()).toBe((require('../../package.json') as { version: string }).version);
    expect(cliVersion(os.tmpdir())).toBe('unknown');
  });
});

describe('parseDatabaseUrl', () => {
  it('reads every supported form', () => {
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', storage: ':memory:' });
    expect(parseDatabaseUrl('sqlite:.tmp/a.sqlite')).toEqual({ dialect: 'sqlite', storage: '.tmp/a.sqlite' });
    expect(parseDatabaseUrl('sqlite:///var/db/a.sqlite')).toEqual({ dialect: 'sqlite', storage: '/var/db/a.sqlite' });
    expect(parseDatabaseUrl('postgresql://u@h:5432/db').dialect).toBe('postgres');
    expect(parseDatabaseUrl('mysql://u@h/db').dialect).toBe('mysql');
    expect(parseDatabaseUrl('mariadb://u@h/db').dialect).toBe('mariadb');
  });
  it('rejects the rest as usage errors', () => {
    for (const bad of [undefined, '', 'sqlite:', 'redis://h/0', 'postgres://h', 'nonsense']) {
      expect(() => parseDatabaseUrl(bad)).toThrow(CliError);
    }
  });
  it('hides passwords in messages', () => {
    expect(redactUrl('postgres://u:secret@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });
});

describe('the demo', () => {
  it('shows no ETA before the first record and none at the end', () => {
    expect(etaText(0, 100, 5000)).toBe('');
    expect(etaText(100, 100, 5000)).toBe('');
    expect(etaText(25, 100, 5000)).toBe(' | about 15.0s left');
  });
  it('says how a job was cut into batches without ambiguity', () => {
    expect(batchesText(40, 500, 20_000)).toBe('40 batches of 500 records');
    expect(batchesText(3, 10, 25)).toBe('3 batches of 10 records (the last of 5)');
    expect(batchesText(1, 500, 7)).toBe('1 batch of 7 records');
  });
});

describe('the demo data', () => {
  it('parses its own CSV back, quotes included, with the planned share of bad rows', () => {
    const rows = parseCsv(generateCsv(1000));
    expect(rows).toHaveLength(1000);
    expect(rows[6]).toMatchObject({ id: '7', name: expect.stringContaining(', ') });
    const results = rows.map((raw, index) => processRecord({ index, raw, parsed: {}, status: 'pending', errors: [] }));
    const expected = expectedFailures(1000);
    expect(results.filter((r) => r.status === 'invalid')).toHaveLength(expected.invalid);
    expect(results.filter((r) => r.status === 'failed')).toHaveLength(expected.failed);
    expect(expected).toEqual({ invalid: 20, failed: 3 });
  });
  it('handles CRLF, doubled quotes and a missing final newline', () => {
    expect(parseCsv('a,b\r\n"x ""y""",2\r\n\r\n3,"4\n5"')).toEqual([{ a: 'x "y"', b: '2' }, { a: '3', b: '4\n5' }]);
    expect(() => parseCsv('a\n"open')).toThrow(/quoted field/);
  });
});
