/**
 * `npm run bench` — measures the store against the database's own limit.
 *
 * Each scenario (bench/scenarios/*.ts, listed in bench/scenarios/index.ts)
 * does the same work through the store (on Sequelize) and through the raw
 * driver (`pg`, `mariadb`, `sqlite3`, hand-written SQL) in the same run, on
 * the same database and tables; each side runs several times, alternating,
 * each on fresh data, and the median is kept. This runner parses the options,
 * chooses dialects and scenarios, runs them, prints a table and writes
 * `bench/results/latest.json` plus `bench/results/<dialect>.json`.
 *
 * Options (also as env: BENCH_QUICK=1, BENCH_DIALECT=…, BENCH_ONLY=…):
 *   --quick               small sizes, for a smoke run
 *   --dialect a,b         sqlite, postgres, mariadb (default: all whose URL is set)
 *   --only s1,s2          run only these scenarios (ids: see bench/scenarios/index.ts)
 *   --runs N              runs per measurement (default 5 for short ones, 3 for long ones)
 *   --update-md           rewrite bench/RESULTS.md from bench/results/<dialect>.json
 *
 * Databases: SQLite (a temp file) always; PostgreSQL with PG_URL, MariaDB with MARIADB_URL
 * (MYSQL_URL, or MARIADB_URL as mysql://, for the mysql2 statement-cache row).
 */
import 'reflect-metadata';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Ctx } from './lib/measure';
import { parseOptions, type BenchOptions } from './lib/options';
import { printTable } from './lib/print';
import { RawSql } from './lib/raw';
import { writeMarkdown } from './lib/report';
import type { DialectResult } from './lib/results';
import { dropStoreTables, locations, openRaw, openStore, type Location } from './lib/setup';
import { checkTargets } from './lib/targets';
import { SCENARIOS } from './scenarios';

// ts-node installs source-map-support, which makes every `error.stack` read
// map each frame through source maps. Sequelize builds an Error and reads its
// stack on every SQLite query, so under ts-node the store would pay a cost a
// compiled deployment does not. Measure as compiled code runs: V8's own traces.
(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;

/** Load averages (1, 5, 15 min), as `uptime` shows them. */
function load(): number[] {
  return os.loadavg().map((n) => Math.round(n * 100) / 100);
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${load().join(', ')}`;
  }
}

async function runDialect(location: Location, options: BenchOptions): Promise<DialectResult> {
  const startedAt = new Date().toISOString();
  const loadBefore = load();
  const prefix = `bench${process.pid.toString(36)}_`;
  const { sequelize, store } = await openStore(location, prefix);
  const raw = await openRaw(location);
  const ctx: Ctx = {
    location, sequelize, store, prefix, raw, sql: new RawSql(location.dialect, store.tables), options, size: options.size,
    figures: [], caches: [],
  };
  const scenarios = SCENARIOS.filter((s) => (!options.only || options.only.includes(s.id)) && (!s.dialects || s.dialects.includes(location.dialect)));
  console.log(`\n== ${location.dialect}${options.quick ? ' (quick)' : ''} — tables ${prefix}*; ${uptime()}`);
  // Interrupted (Ctrl-C, kill): drop this run's tables before leaving.
  const onSignal = (): void => {
    void dropStoreTables(store, prefix).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const scenario of scenarios) {
      console.log(`-- ${scenario.id}: ${scenario.measures}`);
      await scenario.run(ctx);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await store.close();
    await dropStoreTables(store, prefix);
    await raw.close();
    await sequelize.close();
  }
  const targets = checkTargets(ctx.figures, options.size, ctx.dashboard, ctx.caches);
  for (const t of targets) console.log(`  target ${t.met ? 'MET   ' : 'MISSED'} ${t.target}: ${t.measured}`);
  console.log(`   ${location.dialect} done; ${uptime()}`);
  return {
    dialect: location.dialect, quick: options.quick, startedAt, finishedAt: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    loadBefore, loadAfter: load(), scenarios: scenarios.map((s) => s.id),
    figures: ctx.figures, memory: ctx.memory, caches: ctx.caches, dashboard: ctx.dashboard, targets,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const resultsDir = path.join(__dirname, 'results');
  if (options.updateMd) {
    writeMarkdown(resultsDir, path.join(__dirname, 'RESULTS.md'));
    return;
  }
  const unknown = options.only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  const wanted = options.dialects;
  const all = locations().filter((l) => !wanted || wanted.includes(l.dialect));
  if (all.length === 0) throw new Error(`no database selected (--dialect ${wanted?.join(',')}; PG_URL / MARIADB_URL set?)`);
  const skipped = ['postgres', 'mariadb'].filter((d) => !all.some((l) => l.dialect === d) && (!wanted || wanted.includes(d)));
  if (skipped.length) console.log(`skipped (URL not set): ${skipped.join(', ')}`);
  fs.mkdirSync(resultsDir, { recursive: true });
  const results: DialectResult[] = [];
  for (const location of all) {
    const result = await runDialect(location, options);
    results.push(result);
    // A full run of every scenario replaces the dialect's results; a partial one goes to <dialect>-partial.json.
    const name = !options.quick && !options.only ? `${location.dialect}.json` : `${location.dialect}-partial.json`;
    fs.writeFileSync(path.join(resultsDir, name), JSON.stringify(result, null, 2));
  }
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify({ quick: options.quick, results }, null, 2));
  console.log(`\nwrote ${path.join(resultsDir, 'latest.json')}`);
  printTable(results);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
