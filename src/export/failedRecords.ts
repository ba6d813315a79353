/**
 * Failed records as files people fix and import again: CSV (one column per
 * raw field) and JSON. Shared by the CLI's `export-failed` and the dashboard's
 * downloads. Pure: no I/O.
 */
import type { ProcessedRecord } from '../ports';

/** A CSV field, quoted when it holds a comma, quote, CR or LF (RFC 4180). */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A record's validation errors as one text: `field: message [CODE]; …`. */
export function errorsText(record: ProcessedRecord): string {
  return record.errors.map((e) => `${e.field}: ${e.message} [${e.code}]`).join('; ');
}

/**
 * Failed records as CSV: `index,status,retries,errors,processing_error`, then
 * one column per field of the raw records (in first-seen order), so the
 * file can be fixed and imported again.
 */
export function failedRecordsCsv(records: readonly ProcessedRecord[]): string {
  const fields: string[] = [];
  for (const r of records) {
    for (const key of Object.keys(r.raw ?? {})) if (!fields.includes(key)) fields.push(key);
  }
  const header = ['index', 'status', 'retries', 'errors', 'processing_error', ...fields];
  const lines = [header.map(csvField).join(',')];
  for (const r of records) {
    lines.push([
      r.index, r.status, r.retryCount ?? '', errorsText(r), r.processingError ?? '',
      ...fields.map((f) => (r.raw as Record<string, unknown>)[f]),
    ].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Failed records as a JSON array (index, status, raw, parsed, errors, processingError, retryCount). */
export function failedRecordsJson(records: readonly ProcessedRecord[]): string {
  return JSON.stringify(
    records.map((r) => ({
      index: r.index,
      status: r.status,
      raw: r.raw,
      parsed: r.parsed,
      errors: r.errors,
      processingError: r.processingError ?? null,
      retryCount: r.retryCount ?? null,
    })),
    null,
    2,
  ) + '\n';
}
