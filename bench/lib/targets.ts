/** The issues' targets, checked against one dialect's figures. */
import type { Sizes } from './options';
import { fmt, ms } from './print';
import type { CacheFigure, DashboardResult, Figure, TargetCheck } from './results';

export function checkTargets(figures: readonly Figure[], size: Sizes, dashboard?: DashboardResult, caches: readonly CacheFigure[] = []): TargetCheck[] {
  const by = (id: string): Figure | undefined => figures.find((f) => f.id === id);
  const out: TargetCheck[] = [];
  const c200 = by('cycle@200');
  for (const big of ['cycle@10k-head', 'cycle@10k-tail'] as const) {
    const b = by(big);
    if (c200 && b) {
      const cost = c200.store / b.store; // cost ratio = (1/b) / (1/c200)
      out.push({ target: `claim+complete cost at ${big.endsWith('head') ? 'the start' : 'the end'} of a ${size.bigJob.toLocaleString('en')}-batch job ≤ 1.5× its cost at ${size.cycleJob}`,
        measured: `${(1000 / b.store).toFixed(2)} ms vs ${(1000 / c200.store).toFixed(2)} ms = ${cost.toFixed(2)}×`, met: cost <= 1.5 });
    }
  }
  const c8 = by('cycle8');
  if (c8) out.push({ target: '8-process claim throughput ≥ 0.5× raw SKIP LOCKED', measured: `${c8.ratio.toFixed(2)}×`, met: c8.ratio >= 0.5 });
  const sbr = by('saveBatchRecords');
  if (sbr) out.push({ target: 'saveBatchRecords ≥ 0.5× raw multi-row INSERT', measured: `${sbr.ratio.toFixed(2)}×`, met: sbr.ratio >= 0.5 });
  const spr = by('saveProcessedRecord');
  if (spr) out.push({ target: 'saveProcessedRecord ≥ 0.8× raw single-statement upsert', measured: `${spr.ratio.toFixed(2)}×`, met: spr.ratio >= 0.8 });
  const imp = by('import');
  const impb = by('import-buffered');
  if (imp && impb) {
    const x = impb.store / imp.store;
    out.push({ target: 'import with recordBuffer ≥ 10× faster than without', measured: `${fmt(impb.store)} vs ${fmt(imp.store)} records/s = ${x.toFixed(1)}×`, met: x >= 10 });
  }
  for (const f of figures) {
    if (f.kind !== 'scaling' || !f.scaling) continue;
    const s = f.scaling;
    out.push({
      target: `${f.operation}: store cost per batch ${s.largeLabel} ≤ 1.5× ${s.smallLabel}`,
      measured: `${ms(s.storeLargeMs)} ms vs ${ms(s.storeSmallMs)} ms = ${f.ratio.toFixed(2)}×`,
      met: f.ratio <= 1.5,
    });
  }
  if (dashboard?.budgetsApply) {
    for (const r of dashboard.results) {
      if (r.budgetMs === null) continue;
      out.push({ target: `dashboard, job of ${dashboard.records.toLocaleString('en')} records: ${r.name} ≤ ${r.budgetMs} ms`, measured: `${ms(r.medianMs)} ms (median)`, met: r.ok === true });
    }
  }
  for (const c of caches) {
    // Bounded: what the store keeps after statements of every row count stays a few MB
    // (the SQL text cache alone is STATEMENT_CACHE_CHARS = 1,000,000 characters), whatever the sizes.
    const retained = c.heapAfterMb - c.heapBeforeMb;
    out.push({
      target: `statement caches (${c.dialect}): heap retained after record statements of every row count 1…${c.rows} ≤ 10 MB`,
      measured: `${c.heapBeforeMb} → ${c.heapMidMb} MB (1…${c.midRows}) → ${c.heapAfterMb} MB (1…${c.rows}): +${retained.toFixed(1)} MB`,
      met: retained <= 10,
    });
  }
  return out;
}
