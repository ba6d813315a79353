/**
 * Builds bench/RESULTS.md (committed) from the per-dialect JSON files the
 * bench writes into bench/results/ (git-ignored).
 */
import * as fs from 'fs';
import * as path from 'path';

interface Figure {
  operation: string; dialect: string; unit: string; store: number; limit: number; ratio: number;
  storeRuns: number[]; limitRuns: number[]; limitMethod: string;
}
interface Result {
  dialect: string; quick: boolean; startedAt: string; finishedAt: string; machine: string; figures: Figure[];
  memory?: { records: number; batches: number; calls: string; heapBeforeMb: number; heapAfterMb: number; heapPeakMb: number; rssBeforeMb: number; rssAfterMb: number; gcExposed: boolean };
  targets: Array<{ target: string; measured: string; met: boolean }>;
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

const METHOD = `## Method

\`npm run bench\` (\`bench/run.ts\`; \`--quick\` for a smoke run, \`--dialect sqlite,postgres,mariadb\`,
\`--only <ids>\`, \`--runs N\`; SQLite always, PostgreSQL with \`PG_URL\`, MariaDB with \`MARIADB_URL\`).
It is never run by the tests.

- For every operation, **in the same run, on the same database and the same tables and indexes**, the
  store (through Sequelize) and the raw driver (\`pg\`, \`mariadb\`, \`sqlite3\` used directly, no
  Sequelize) do the same work; the raw side runs the best plain SQL written by hand (column "limit").
  Both sides encode the record JSON inside the timed region.
- Each side runs several times (5 for short measurements, 3 for long ones), alternating which side goes
  first, each on a freshly seeded job; the table shows the **median** rate. Seeding and cleanup are not
  timed. The machine (2 cores) is shared with other work: absolute numbers move, ratios matter.
- Rates are per second, higher is better; "store/limit" is store rate ÷ limit rate.
- Claim-and-complete cycle = \`claimBatch\` + \`updateBatchState(COMPLETED)\` + \`tryFinalizeJob\`. Raw limit:
  PostgreSQL \`UPDATE … WHERE batch_id = (SELECT … ORDER BY batch_index LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING\`; MariaDB \`SELECT … FOR UPDATE SKIP LOCKED\` + \`UPDATE\` in a transaction; SQLite the same
  single \`UPDATE … RETURNING\` without row locks; then \`UPDATE\` of the batch and one conditional
  \`UPDATE\` of the job. "Cost at 10,000 vs 200 batches" is measured at the start (first 200 cycles of a
  fresh job) and at the end (last 200 cycles, 9,800 batches already COMPLETED) of a 10,000-batch job.
- 8 workers = 8 forked Node processes, each with its own Sequelize instance (store) or one raw
  connection (limit), started and connected before the clock starts; throughput = total cycles ÷ wall time
  until the last worker finds nothing to claim.
- Import = a whole single-process import driven as the engine drives it: \`saveJobState\` (PROCESSING, all
  batches), per batch of 500 \`updateBatchState(PROCESSING)\`, \`saveProcessedRecord\` per record,
  \`updateBatchState(COMPLETED)\`, then \`saveJobState(COMPLETED)\`; once with the default store and once with
  \`recordBuffer: true\` (write-behind).
- Memory: a job of 1,000,000 records and 10,000 batches (seeded server-side); heap after forced GC
  (\`--expose-gc\`) before and after thousands of claim/complete cycles with \`getProgress\` and
  \`getDistributedStatus\` interleaved, and the peak heap sampled every 2 ms during them.
`;

/** Writes `outFile` from `resultsDir/{sqlite,postgres,mariadb}.json` (those that exist). */
export function writeMarkdown(resultsDir: string, outFile: string): void {
  const results: Result[] = [];
  for (const d of ['sqlite', 'postgres', 'mariadb']) {
    const file = path.join(resultsDir, `${d}.json`);
    if (fs.existsSync(file)) results.push(JSON.parse(fs.readFileSync(file, 'utf8')) as Result);
  }
  if (results.length === 0) throw new Error(`no results in ${resultsDir}; run the bench first`);
  const out: string[] = ['# Benchmark results', '',
    'Latest figures of `npm run bench` on the development machine, written by `npm run bench -- --update-md`',
    'from `bench/results/<dialect>.json`. Method below.', ''];
  for (const r of results) {
    out.push(`## ${r.dialect}`, '', `Run ${r.startedAt} → ${r.finishedAt}; ${r.machine}${r.quick ? '; QUICK sizes' : ''}.`, '');
    out.push('| operation | store | limit (raw driver) | store/limit |', '|---|---:|---:|---:|');
    for (const f of r.figures) out.push(`| ${f.operation} | ${fmt(f.store)} ${f.unit} | ${fmt(f.limit)} ${f.unit} | ${f.ratio.toFixed(2)}× |`);
    out.push('');
    if (r.memory) {
      const m = r.memory;
      out.push(`Memory, job of ${m.records.toLocaleString('en')} records and ${m.batches.toLocaleString('en')} batches, ${m.calls}: `
        + `heap ${m.heapBeforeMb} MB before, ${m.heapAfterMb} MB after (peak ${m.heapPeakMb} MB during); RSS ${m.rssBeforeMb} → ${m.rssAfterMb} MB`
        + `${m.gcExposed ? '' : ' (GC not exposed: figures include garbage)'}.`, '');
    }
    if (r.targets.length) {
      out.push('| target | measured | |', '|---|---|---|');
      for (const t of r.targets) out.push(`| ${t.target} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`);
      out.push('');
    }
    out.push('<details><summary>all runs and limit SQL</summary>', '');
    for (const f of r.figures) {
      out.push(`- ${f.operation}: store ${f.storeRuns.map(fmt).join(', ')}; limit ${f.limitRuns.map(fmt).join(', ')} ${f.unit}. Limit: ${f.limitMethod}.`);
    }
    out.push('', '</details>', '');
  }
  out.push(METHOD);
  // Findings, edits made for speed and their before/after figures: hand-written, kept next to this file.
  const notes = path.join(path.dirname(outFile), 'NOTES.md');
  if (fs.existsSync(notes)) out.push('', fs.readFileSync(notes, 'utf8'));
  fs.writeFileSync(outFile, out.join('\n'));
  console.log(`wrote ${outFile}`);
}
