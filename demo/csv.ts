/**
 * The demo's data: a generated CSV of users with a known share of bad rows,
 * a small RFC 4180 parser, and the per-record "import" the workers run.
 */
import type { ProcessedRecord, ValidationError } from '../src/ports';

/** Columns of the generated CSV. */
export const CSV_COLUMNS = ['id', 'name', 'email', 'age', 'country'] as const;

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee'];
const COUNTRIES = ['ES', 'FR', 'DE', 'US', 'JP', 'BR', 'IN', 'NG'];

/** Row `n` (1-based) has an invalid e-mail: fails validation. */
export function isInvalidRow(n: number): boolean {
  return n % 50 === 0;
}

/** Row `n` (1-based) is valid but its processing always fails (after retries). */
export function isFailingRow(n: number): boolean {
  return n % 333 === 0 && !isInvalidRow(n);
}

/** How many rows of `records` are invalid and how many fail processing. */
export function expectedFailures(records: number): { invalid: number; failed: number } {
  let invalid = 0;
  let failed = 0;
  for (let n = 1; n <= records; n++) {
    if (isInvalidRow(n)) invalid++;
    else if (isFailingRow(n)) failed++;
  }
  return { invalid, failed };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A CSV of `records` users (header included). Deterministic. */
export function generateCsv(records: number): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (let n = 1; n <= records; n++) {
    const first = FIRST[n % FIRST.length] as string;
    const last = LAST[Math.floor(n / FIRST.length) % LAST.length] as string;
    // Every seventh name is "Last, First" to exercise quoting.
    const name = n % 7 === 0 ? `${last}, ${first}` : `${first} ${last}`;
    const email = isInvalidRow(n) ? `${first.toLowerCase()}-at-example.com` : `${first.toLowerCase()}.${n}@example.com`;
    const age = String(18 + (n % 60));
    lines.push([String(n), name, email, age, COUNTRIES[n % COUNTRIES.length] as string].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Parses CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into
 * records keyed by the header row. Blank lines are skipped.
 */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = (): void => { row.push(field); field = ''; };
  const endRow = (): void => {
    endField();
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRow();
    else if (c === '\r') { if (text[i + 1] !== '\n') endRow(); }
    else field += c;
    i++;
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) endRow();
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((cells) => Object.fromEntries(header.map((h, k) => [h, cells[k] ?? ''])));
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * What a worker does with one record: validate it, then "import" it. Rows
 * chosen by {@link isFailingRow} fail every attempt (3 attempts).
 */
export function processRecord(record: ProcessedRecord): ProcessedRecord {
  const raw = record.raw as Record<string, string>;
  const errors: ValidationError[] = [];
  if (!EMAIL.test(raw.email ?? '')) {
    errors.push({ field: 'email', message: 'is not a valid e-mail address', code: 'PATTERN_MISMATCH', value: raw.email, severity: 'error', category: 'FORMAT' });
  }
  const age = Number(raw.age);
  if (!Number.isInteger(age) || age < 0 || age > 150) {
    errors.push({ field: 'age', message: 'must be an integer from 0 to 150', code: 'TYPE_MISMATCH', value: raw.age, severity: 'error', category: 'FORMAT' });
  }
  const parsed = { id: Number(raw.id), name: raw.name, email: raw.email, age, country: raw.country };
  if (errors.length > 0) return { ...record, parsed, status: 'invalid', errors };
  if (isFailingRow(Number(raw.id))) {
    return { ...record, parsed, status: 'failed', errors: [], processingError: `downstream API refused user ${raw.id}: 503 Service Unavailable`, retryCount: 2 };
  }
  return { ...record, parsed, status: 'processed', errors: [], retryCount: 0 };
}
