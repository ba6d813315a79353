/**
 * Builds bench/RESULTS.md (committed) from the per-dialect JSON files the
 * bench writes into bench/results/ (git-ignored), then appends
 * bench/NOTES.md (findings, written by hand).
 */
import * as fs from 'fs';
import * as path from 'path';
import { SCENARIOS } from '../scenarios';
import { cells, fmt, ms, otherCells } from './print';
import type { DialectResult, Figure } from './results';

const METHOD = `## Method

\`npm run bench\` (\`bench/run.ts\`; \`--quick\` for a smoke run, \`--dialect sqlite,postgres,mariadb\`,
\`--only <scenario ids>\`, \`--runs N\`; SQLite always, PostgreSQL with \`PG_URL\`, MariaDB with \`MARIADB_URL\`).
It is never run by the tests. One file per scenario in \`bench/scenarios/\` (listed below); the runner only
parses options, chooses dialects and scenarios, runs them and reports.

- For every operation, **in the same run, on the same database and the same tables and indexes**, the
  store (through Sequelize) and the raw driver (\`pg\`, \`mariadb\`, \`sqlite3\` used directly, no
  Sequelize) do the same work; the raw side runs the best plain SQL written by hand (column "limit").
  Both sides encode the record JSON inside the timed region.
- Each side runs several times (5 for short measurements, 3 for long ones), rotating which side goes
  first, each on a freshly seeded job; the table shows the **median**. Seeding and cleanup are not
  timed. The machine (2 cores) is shared with other work: absolute numbers move, ratios matter; the load
  average at the start and the end of each dialect's run is given with its table.
- Rates are per second, higher is better; "store/limit" is store rate ÷ limit rate. Rows marked "↳ the
  same through sequelize.query() with bind" ran the store's own statement texts (its SQL builders and
  dialect adapter) through \`sequelize.query()\` in the same rotation; their ratio is to the same limit.
- **Scaling rows** (engine patterns) show a **cost per batch** — the time spent inside store calls (every
  call timed by a wrapper) ÷ batches — at a small and a large point, "small → large ms/batch", for the
  store and for the limit; their last column is the **store's cost at the large point ÷ at the small one**
  (the target is ≤ 1.5×), not store/limit; the limit's own ratio is in brackets. They are driven call for
  call by the project's engine model: \`test/engine/singleProcess.ts\` (\`SingleProcessImport\`: per batch
  \`updateBatchState(PROCESSING)\`, \`saveProcessedRecord\` per record, \`updateBatchState(COMPLETED)\`,
  \`saveJobState\` of the whole job), and \`test/engine/orchestrator.ts\` \`prepareJob\` then
  \`test/engine/distributedWorker.ts\` \`workerLoop\` (reclaim → claim → getBatchRecords → getJobState →
  saveProcessedRecord per record → updateBatchState without worker id → tryFinalizeJob) on a worker store
  of its own. The limit side is the same model driving a stand-in (\`bench/lib/rawEngine.ts\`) that does
  the least plain SQL for each call. Single process: one job of 10,100 batches of 5 records, windows of
  200 batches centred on batch 200 and batch 10,000. Worker: all batches of a 200-batch job; the first 200
  and (after marking the first 9,800 COMPLETED) the last 200 batches of a 10,000-batch job. Every run,
  store or limit, has tables of its own, created empty for it (same schema and indexes; on PostgreSQL a
  \`CHECKPOINT\` first): on the tables the earlier scenarios had filled, the later point also paid for their
  dead rows, and the limit's own cost grew 1.5–1.7× between the points on PostgreSQL.
- Claim-and-complete cycle = \`claimBatch\` + \`updateBatchState(COMPLETED)\` + \`tryFinalizeJob\`. "Cost at
  10,000 vs 200 batches" is measured at the start and the end (9,800 batches already COMPLETED) of a
  10,000-batch job. 8 workers = 8 forked Node processes, each with its own Sequelize instance (store) or
  one raw connection (limit), connected before the clock starts.
- Memory: a job of 1,000,000 records and 10,000 batches; heap after forced GC (\`--expose-gc\`) before and
  after thousands of calls, and the peak sampled every 2 ms. Statement caches: a fresh store writes
  \`saveBatchRecords\` of every size 1 … 1,000 (one statement each); heap after forced GC before, after
  1 … 500, after 1 … 1,000, and once the store is dropped.
- Dashboard: a job of 1,000,000 records / 10,000 batches in flight under its own table prefix; median of
  15 calls (after 3 untimed) of each API call through a dashboard on a local port, and of the store calls
  behind them. The budgets (API ≤ 100 ms, \`getProgress\` ≤ 5 ms) are set for PostgreSQL.
`;

function scenarioList(): string[] {
  const out = ['### Scenarios', '', '| id | measures | store side | limit side |', '|---|---|---|---|'];
  for (const s of SCENARIOS) out.push(`| \`${s.id}\` | ${s.measures} | ${s.storeSide} | ${s.limitSide} |`);
  return [...out, ''];
}

function runsOf(f: Figure): string {
  if (f.kind === 'scaling' && f.scaling) {
    const s = f.scaling;
    const list = (v: number[]): string => v.map(ms).join(', ');
    const by = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k} ${ms(v)}`).join(', ');
    const calls = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k} ${v % 1 ? v.toFixed(2) : v}`).join(', ');
    return `- ${f.operation}: store ${s.smallLabel} ${list(s.storeSmallRuns)}, ${s.largeLabel} ${list(s.storeLargeRuns)}; `
      + `limit ${s.smallLabel} ${list(s.limitSmallRuns)}, ${s.largeLabel} ${list(s.limitLargeRuns)} ms/batch (window ${s.window} batches). `
      + `Store ms/batch by call ${s.smallLabel}: ${by(s.breakdownSmall)}; ${s.largeLabel}: ${by(s.breakdownLarge)}. `
      + `Store calls per batch ${s.largeLabel}: ${calls(s.callsLarge)}. Limit ms/batch by call ${s.largeLabel}: ${by(s.limitBreakdownLarge)}. `
      + `Limit: ${f.limitMethod}.`;
  }
  const others = (f.others ?? []).map((o) => ` ${o.label}: ${o.runs.map(fmt).join(', ')} (${o.method}).`).join('');
  return `- ${f.operation}: store ${f.storeRuns.map(fmt).join(', ')}; limit ${f.limitRuns.map(fmt).join(', ')} ${f.unit}.${others} Limit: ${f.limitMethod}.`;
}

function dialectSection(r: DialectResult, heading = `## ${r.dialect}`): string[] {
  const out: string[] = [heading, ''];
  const load = r.loadBefore ? `; load average ${r.loadBefore.join(', ')} at the start, ${r.loadAfter?.join(', ')} at the end` : '';
  out.push(`Run ${r.startedAt} → ${r.finishedAt}; ${r.machine}${load}${r.quick ? '; QUICK sizes' : ''}.`, '');
  out.push('| operation | store | limit (raw driver) | store/limit (scaling rows: store cost large ÷ small) |', '|---|---:|---:|---|');
  for (const f of r.figures) for (const c of [cells(f), ...otherCells(f)]) out.push(`| ${c.operation} | ${c.store} | ${c.limit} | ${c.ratio} |`);
  out.push('');
  if (r.memory) {
    const m = r.memory;
    out.push(`Memory, job of ${m.records.toLocaleString('en')} records and ${m.batches.toLocaleString('en')} batches, ${m.calls}: `
      + `heap ${m.heapBeforeMb} MB before, ${m.heapAfterMb} MB after (peak ${m.heapPeakMb} MB during); RSS ${m.rssBeforeMb} → ${m.rssAfterMb} MB`
      + `${m.gcExposed ? '' : ' (GC not exposed: figures include garbage)'}.`, '');
  }
  if (r.caches?.length) {
    const [first] = r.caches;
    out.push(`| statement caches: store | heap before | after row counts 1…${first?.midRows} | after 1…${first?.rows.toLocaleString('en')} | store dropped | SQL text cache | compiled cache |`,
      '|---|---:|---:|---:|---:|---:|---:|');
    for (const c of r.caches) {
      out.push(`| ${c.dialect} | ${c.heapBeforeMb} MB | ${c.heapMidMb} MB | ${c.heapAfterMb} MB | ${c.heapReleasedMb} MB`
        + ` | ${c.sqlCacheChars?.toLocaleString('en') ?? '?'} chars | ${c.compiledEntries ?? '?'} entries |`);
    }
    out.push('');
  }
  if (r.dashboard) {
    const d = r.dashboard;
    out.push(`Dashboard, job of ${d.records.toLocaleString('en')} records / ${d.batches.toLocaleString('en')} batches (seeded in ${(d.seedMs / 1000).toFixed(1)} s), median of ${d.runs} calls${d.budgetsApply ? '' : ' (budgets set for PostgreSQL; shown for information)'}:`, '');
    out.push('| call | median | min | budget |', '|---|---:|---:|---|');
    for (const c of d.results) {
      out.push(`| ${c.name} | ${ms(c.medianMs)} ms | ${ms(c.minMs)} ms | ${c.budgetMs === null ? '' : `${c.budgetMs} ms${c.ok ? '' : ' **over**'}`} |`);
    }
    out.push('', `Payloads (bytes): ${Object.entries(d.payloadBytes).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}.`, '');
  }
  if (r.targets.length) {
    out.push('| target | measured | |', '|---|---|---|');
    for (const t of r.targets) out.push(`| ${t.target} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`);
    out.push('');
  }
  out.push('<details><summary>all runs and limit SQL</summary>', '', ...r.figures.map(runsOf), '', '</details>', '');
  return out;
}

const KEPT_NOTE = '_Not re-run with the other sections: kept from the earlier full run it names, on the code of that time._';

/**
 * The section of `dialect` in an earlier RESULTS.md, for a dialect this
 * machine has no full run of now: kept as it was, marked as such.
 */
function keptSection(previous: string, dialect: string): string[] | undefined {
  const lines = previous.split('\n');
  const start = lines.indexOf(`## ${dialect}`);
  if (start < 0) return undefined;
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  // A partial re-run shown under the kept section last time is not part of it.
  const partial = lines.findIndex((l, i) => i > start && i < end && l.startsWith(partialHeading(dialect)));
  const body = lines.slice(start + 1, partial > 0 ? partial : end).filter((l) => l !== KEPT_NOTE);
  while (body[0] === '') body.shift();
  return [`## ${dialect}`, '', KEPT_NOTE, '', ...body];
}

function partialHeading(dialect: string): string {
  return `### ${dialect}: partial re-run`;
}

/**
 * Writes `outFile` from `resultsDir/{sqlite,postgres,mariadb}.json` (those
 * that exist; a dialect without one keeps its section of the earlier file,
 * marked), each followed by its `<dialect>-partial.json` when that run is
 * newer (`--only`: only the rows it re-ran, on the code of its time).
 */
export function writeMarkdown(resultsDir: string, outFile: string): void {
  const sections: string[][] = [];
  const previous = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
  const read = (name: string): DialectResult | undefined => {
    const file = path.join(resultsDir, name);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as DialectResult : undefined;
  };
  for (const d of ['sqlite', 'postgres', 'mariadb']) {
    const full = read(`${d}.json`);
    if (full) sections.push(dialectSection(full));
    else {
      const kept = keptSection(previous, d);
      if (kept) sections.push(kept);
    }
    const partial = read(`${d}-partial.json`);
    if (partial && !partial.quick && (!full || partial.finishedAt > full.finishedAt)) {
      const ids = [...new Set(partial.figures.map((f) => f.id))].join(', ');
      sections.push(dialectSection(partial, `${partialHeading(d)} (${ids}${partial.dashboard ? ', dashboard' : ''})`));
    }
  }
  if (sections.length === 0) throw new Error(`no results in ${resultsDir}; run the bench first`);
  const out: string[] = ['# Benchmark results', '',
    'Latest figures of `npm run bench` on the development machine, written by `npm run bench -- --update-md`',
    'from `bench/results/<dialect>.json`. Method below. In every table, scaling rows (engine patterns) show',
    'cost per batch "at the small point → at the large point" and their last column is the store\'s cost ratio',
    'large ÷ small (target ≤ 1.5×), not store/limit.', ''];
  for (const section of sections) out.push(...section);
  out.push(METHOD, ...scenarioList());
  // Findings, edits made for speed and their before/after figures: hand-written, kept next to this file.
  const notes = path.join(path.dirname(outFile), 'NOTES.md');
  if (fs.existsSync(notes)) out.push('', fs.readFileSync(notes, 'utf8'));
  fs.writeFileSync(outFile, out.join('\n'));
  console.log(`wrote ${outFile}`);
}
