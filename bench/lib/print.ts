/** The bench's console output: a line per figure as it is measured, and the table at the end. */
import type { DialectResult, Figure } from './results';

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 100) return Math.round(n).toLocaleString('en');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Milliseconds with two decimals below 10. */
export function ms(n: number): string {
  return n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/**
 * The cells of a figure's table row: operation, store, limit, last column.
 * Scaling rows show cost per batch at the small point → at the large point,
 * and the store's cost ratio large ÷ small (not store/limit).
 */
export function cells(f: Figure): { operation: string; store: string; limit: string; ratio: string } {
  if (f.kind === 'scaling' && f.scaling) {
    const s = f.scaling;
    return {
      operation: f.operation,
      store: `${ms(s.storeSmallMs)} → ${ms(s.storeLargeMs)} ms/batch`,
      limit: `${ms(s.limitSmallMs)} → ${ms(s.limitLargeMs)} ms/batch`,
      ratio: `${f.ratio.toFixed(2)}× cost ${s.largeLabel} ÷ ${s.smallLabel} (limit ${s.limitRatio.toFixed(2)}×)`,
    };
  }
  return { operation: f.operation, store: `${fmt(f.store)} ${f.unit}`, limit: `${fmt(f.limit)} ${f.unit}`, ratio: `${f.ratio.toFixed(2)}×` };
}

/** Extra rows of a figure: the other paths measured with it. */
export function otherCells(f: Figure): Array<{ operation: string; store: string; limit: string; ratio: string }> {
  return (f.others ?? []).map((o) => ({
    operation: `  ↳ the same through ${o.label}`, store: `${fmt(o.rate)} ${f.unit}`, limit: `${fmt(f.limit)} ${f.unit}`, ratio: `${o.ratio.toFixed(2)}×`,
  }));
}

export function printFigure(f: Figure): void {
  if (f.kind === 'scaling' && f.scaling) {
    const c = cells(f);
    const b = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k} ${ms(v)}`).join(', ');
    console.log(`  ${f.operation} ${f.dialect}: store ${c.store}, limit ${c.limit}; ${c.ratio}`);
    console.log(`    store ms/batch by call, ${f.scaling.smallLabel}: ${b(f.scaling.breakdownSmall)}`);
    console.log(`    store ms/batch by call, ${f.scaling.largeLabel}: ${b(f.scaling.breakdownLarge)}`);
    return;
  }
  console.log(`  ${f.operation.padEnd(92)} ${f.dialect.padEnd(8)} store ${fmt(f.store).padStart(9)} ${f.unit.padEnd(10)}`
    + ` limit ${fmt(f.limit).padStart(9)}  ratio ${f.ratio.toFixed(2)}  client CPU/unit ${fmt(f.storeCpuUs ?? NaN)} vs ${fmt(f.limitCpuUs ?? NaN)} µs`);
  for (const o of f.others ?? []) {
    console.log(`  ${`  ↳ through ${o.label}`.padEnd(92)} ${f.dialect.padEnd(8)}       ${fmt(o.rate).padStart(9)} ${f.unit.padEnd(10)}`
      + `                  ratio ${o.ratio.toFixed(2)}  client CPU/unit ${fmt(o.cpuUs)} µs`);
  }
}

/** The summary table of every dialect's figures, then memory, dashboard and targets. */
export function printTable(results: readonly DialectResult[]): void {
  const rows = results.flatMap((r) => r.figures.flatMap((f) => [cells(f), ...otherCells(f)].map((c) => [c.operation, f.dialect, c.store, c.limit, c.ratio])));
  const head = ['operation', 'dialect', 'store', 'limit (raw driver)', 'store/limit (scaling rows: cost ratio)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (c: string[]): string => c.map((x, i) => (i >= 2 && i < 4 ? x.padStart(widths[i] as number) : x.padEnd(widths[i] as number))).join(' | ');
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const r of rows) console.log(line(r));
  console.log('Scaling rows (engine patterns): store and limit are time inside store calls per batch at the small → large point;'
    + ' the last column is the store\'s cost at the large point ÷ at the small one (target ≤ 1.5×), not store/limit.');
  for (const r of results) {
    if (r.memory) console.log(`memory ${r.dialect}: heap ${r.memory.heapBeforeMb} → ${r.memory.heapAfterMb} MB (peak ${r.memory.heapPeakMb} MB)`);
    for (const c of r.caches ?? []) {
      console.log(`statement caches ${c.dialect}: heap ${c.heapBeforeMb} MB → ${c.heapMidMb} MB after row counts 1…${c.midRows}`
        + ` → ${c.heapAfterMb} MB after 1…${c.rows}; ${c.heapReleasedMb} MB once the store is dropped`);
    }
    for (const d of r.dashboard?.results ?? []) {
      console.log(`dashboard ${r.dialect}: ${d.name} ${ms(d.medianMs)} ms${d.budgetMs === null ? '' : ` (budget ${d.budgetMs} ms${r.dashboard?.budgetsApply ? '' : ', set for PostgreSQL'})`}`);
    }
    for (const t of r.targets) console.log(`${r.dialect}: ${t.met ? 'MET' : 'MISSED'} — ${t.target}: ${t.measured}`);
  }
}
