/* A job's page: progress and ETA, batches (jobmap.js), failed records, actions; refreshes itself while the job runs. */
(function () {
  'use strict';
  var BD = window.BD;
  var id = new URLSearchParams(location.search).get('id') || '';
  var failedOffset = 0;
  var FAILED_LIMIT = 25;
  var failedSeen = -1;
  var job = null;

  BD.text(document.getElementById('job-id'), id);
  document.title = id + ' · ' + document.title;
  document.getElementById('download-csv').setAttribute('href', BD.apiJob(id, 'failed.csv'));
  document.getElementById('download-json').setAttribute('href', BD.apiJob(id, 'failed.json'));

  function figure(dl, term, value, key) {
    dl.appendChild(BD.el('div', { 'data-figure': key }, [BD.el('dt', { text: term }), BD.el('dd', { text: value })]));
  }

  function renderOverview(data) {
    var p = data.progress;
    var j = data.job;
    var status = document.getElementById('job-status');
    BD.text(status, j.status);
    status.className = BD.statusClass(j.status);
    BD.text(document.getElementById('job-mode'), (j.distributed ? 'distributed' : 'single process') + ' · batches of ' + j.config.batchSize);
    document.getElementById('job-bar').style.width = p.percentage + '%';
    var dl = document.getElementById('figures');
    dl.replaceChildren();
    figure(dl, 'Progress', p.percentage + '%', 'percentage');
    figure(dl, 'Processed', BD.number(p.processedRecords), 'processed');
    figure(dl, 'Failed', BD.number(p.failedRecords), 'failed');
    figure(dl, 'Pending', BD.number(p.pendingRecords), 'pending');
    figure(dl, 'Total', BD.number(p.totalRecords), 'total');
    figure(dl, 'Batches completed', BD.number(p.currentBatch) + ' / ' + BD.number(p.totalBatches), 'batches');
    figure(dl, 'Started', BD.time(j.startedAt), 'started');
    figure(dl, data.terminal ? 'Duration' : 'Elapsed', BD.duration(p.elapsedMs), 'elapsed');
    if (data.terminal) figure(dl, 'Finished', BD.time(j.completedAt), 'finished');
    else figure(dl, 'ETA', p.estimatedRemainingMs !== undefined ? BD.duration(p.estimatedRemainingMs) : '—', 'eta');
    figure(dl, 'Throughput', BD.rate(data.throughput), 'throughput');
    document.getElementById('purge').disabled = !data.terminal;
  }

  function lines(items) {
    return items.map(function (t) { return BD.el('div', { text: t }); });
  }

  function rawText(value) {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  function renderFailed(page) {
    var tbody = document.querySelector('#failed tbody');
    var rows = page.records.map(function (r) {
      var errors = r.errors || [];
      var raw = Object.keys(r.raw || {}).map(function (k) { return k + ': ' + rawText(r.raw[k]); });
      return BD.el('tr', { 'data-index': r.index }, [
        BD.el('td', { class: 'num', text: r.index }),
        BD.el('td', { text: r.status }),
        BD.el('td', {}, lines(errors.map(function (e) { return e.field; }))),
        BD.el('td', { class: 'mono' }, lines(errors.map(function (e) { return e.code; }))),
        BD.el('td', {}, lines(errors.map(function (e) { return e.message; }))),
        BD.el('td', { text: r.processingError || '' }),
        BD.el('td', { class: 'raw' }, lines(raw)),
      ]);
    });
    if (rows.length === 0) rows.push(BD.el('tr', {}, [BD.el('td', { colspan: 7, class: 'muted', text: 'No failed records.' })]));
    tbody.replaceChildren.apply(tbody, rows);
    BD.text(document.getElementById('failed-total'), '(' + BD.number(page.total) + ')');
    var first = page.records.length ? failedOffset + 1 : 0;
    BD.text(document.getElementById('failed-page'), first + '–' + (failedOffset + page.records.length) + ' of ' + BD.number(page.total));
    document.getElementById('failed-prev').disabled = failedOffset === 0;
    document.getElementById('failed-next').disabled = failedOffset + page.records.length >= page.total;
  }

  function loadFailed() {
    return BD.api(BD.apiJob(id, 'failed') + '&offset=' + failedOffset + '&limit=' + FAILED_LIMIT).then(renderFailed);
  }

  function tick() {
    return BD.api(BD.apiJob(id)).then(function (data) {
      job = data;
      renderOverview(data);
      var q = '&view=map&running=' + (data.terminal ? 0 : 1) + (data.job.startedAt !== undefined ? '&startedAt=' + data.job.startedAt : '');
      var failedNow = data.progress.failedRecords;
      return Promise.all([
        BD.api(BD.apiJob(id, 'batches') + q),
        failedNow !== failedSeen ? loadFailed().then(function () { failedSeen = failedNow; }) : null,
      ]).then(function (results) {
        window.BDMap.render(results[0], release);
        return !data.terminal;
      });
    });
  }

  function result(message) {
    BD.text(document.getElementById('action-result'), message);
  }

  function act(question, path, done) {
    if (!window.confirm(question)) return;
    var token = document.getElementById('token').value;
    if (!token) {
      result('Enter the actions token first.');
      return;
    }
    BD.post(path, token).then(function (answer) {
      done(answer);
      return tick();
    }).catch(function (e) { result('Refused: ' + e.message); });
  }

  function release(workerId, batch) {
    var name = '#' + (batch.index === null ? '?' : batch.index);
    act('Release batch ' + name + ' from worker ' + workerId + '? It goes back to PENDING for another worker.',
      BD.apiJob(id, 'batches/' + encodeURIComponent(batch.id) + '/release') + '&workerId=' + encodeURIComponent(workerId),
      function (a) { result(a.released ? 'Released batch ' + name + '.' : 'Batch ' + name + ' was not released.'); });
  }

  if (BD.actions) {
    document.getElementById('actions').hidden = false;
    document.getElementById('token-form').addEventListener('submit', function (e) { e.preventDefault(); });
    document.getElementById('reclaim').addEventListener('click', function () {
      act('Put back to PENDING every batch of this job whose lease is older than ' + BD.duration(BD.staleAfterMs) + '?',
        BD.apiJob(id, 'reclaim'), function (a) { result('Reclaimed ' + a.reclaimed + ' batch' + (a.reclaimed === 1 ? '' : 'es') + '.'); });
    });
    document.getElementById('purge').addEventListener('click', function () {
      if (!job || !job.terminal) return;
      act('Delete this job with all its batches and records? This cannot be undone.', BD.apiJob(id, 'purge'), function () {
        location.href = './';
      });
    });
  }
  document.getElementById('failed-prev').addEventListener('click', function () {
    failedOffset = Math.max(0, failedOffset - FAILED_LIMIT);
    loadFailed().catch(function (e) { BD.showError(e.message); });
  });
  document.getElementById('failed-next').addEventListener('click', function () {
    failedOffset += FAILED_LIMIT;
    loadFailed().catch(function (e) { BD.showError(e.message); });
  });
  BD.poll(tick);
})();
