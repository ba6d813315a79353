/**
 * The two pages' HTML: fixed shells with no data in them. The page's script
 * fetches the JSON API and renders every value as text (`textContent`). The
 * only values written here are the dashboard's own settings (numbers, a
 * flag, the title), escaped. Every URL is relative to the dashboard's root,
 * so the pages work under any mount path.
 */
import type { DashboardSettings } from './options';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shell(settings: DashboardSettings, page: 'jobs' | 'job', heading: string, main: string): string {
  const title = escapeHtml(settings.title);
  const scripts = page === 'job' ? ['uPlot.iife.min.js', 'common.js', 'jobmap.js', 'job.js'] : ['common.js', 'jobs.js'];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
${page === 'job' ? '<link rel="stylesheet" href="assets/uPlot.min.css">\n' : ''}<link rel="stylesheet" href="assets/dashboard.css">
${scripts.map((s) => `<script defer src="assets/${s}"></script>`).join('\n')}
</head>
<body data-page="${page}" data-refresh-ms="${settings.refreshMs}" data-stale-after-ms="${settings.staleAfterMs}"`
    + ` data-page-size="${settings.pageSize}" data-actions="${settings.token !== undefined}">
<header><a class="home" href="./">${title}</a>${heading}<span id="live" class="live"></span></header>
<div id="error" class="banner" role="alert" hidden></div>
<main>
${main}
</main>
</body>
</html>
`;
}

/** The jobs page: every job, newest first, by page. */
export function jobsPage(settings: DashboardSettings): string {
  return shell(settings, 'jobs', '<h1>Jobs</h1>', `<p id="summary" class="muted"></p>
<table id="jobs" class="grid">
<thead><tr><th>Job</th><th>Status</th><th>Mode</th><th>Progress</th><th class="num">Processed</th><th class="num">Failed</th>`
    + `<th class="num">Total</th><th class="num">Batches done / total</th><th class="num">Batches held</th><th>Started</th>`
    + `<th class="num">Duration</th><th class="num">Throughput</th></tr></thead>
<tbody></tbody>
</table>
<nav class="pager"><button id="prev" type="button">&larr; Newer</button><span id="page"></span><button id="next" type="button">Older &rarr;</button></nav>`);
}

/** A job's page: progress, batch map, throughput, workers, failed records, actions. */
export function jobPage(settings: DashboardSettings): string {
  return shell(settings, 'job', '<h1>Job <span id="job-id" class="mono"></span></h1>', `<section id="overview">
<div class="row"><span id="job-status" class="badge"></span><span id="job-mode" class="muted"></span></div>
<div class="bar big"><div id="job-bar" class="fill"></div></div>
<dl id="figures" class="figures"></dl>
</section>
<section id="actions" hidden>
<h2>Actions</h2>
<p class="muted">Each action asks for confirmation and needs the dashboard's actions token.</p>
<form id="token-form" class="inline"><label>Token <input id="token" type="password" autocomplete="off" spellcheck="false"></label>
<button id="reclaim" type="button">Reclaim stale batches</button>
<button id="purge" type="button" class="danger">Purge job</button>
<span id="action-result" role="status"></span></form>
</section>
<section>
<h2>Batches</h2>
<ul id="legend" class="legend"></ul>
<canvas id="map" width="960" height="40" tabindex="0"></canvas>
<div id="batch-details" class="details muted">Hover or click a batch for its details.</div>
</section>
<section>
<h2>Throughput <span class="muted">(records/s)</span></h2>
<div id="chart"></div>
</section>
<section>
<h2>Workers</h2>
<table id="workers" class="grid">
<thead><tr><th>Worker</th><th>Batches held</th><th>Since</th><th>Last renewal</th><th class="num">Lease age</th><th></th></tr></thead>
<tbody></tbody>
</table>
</section>
<section>
<h2>Failed records <span id="failed-total" class="muted"></span></h2>
<p><a id="download-csv" download>Download CSV</a> &middot; <a id="download-json" download>Download JSON</a></p>
<table id="failed" class="grid">
<thead><tr><th class="num">Index</th><th>Status</th><th>Field</th><th>Code</th><th>Message</th><th>Processing error</th><th>Raw values</th></tr></thead>
<tbody></tbody>
</table>
<nav class="pager"><button id="failed-prev" type="button">&larr; Previous</button><span id="failed-page"></span>`
    + `<button id="failed-next" type="button">Next &rarr;</button></nav>
</section>`);
}
