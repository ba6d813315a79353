/* The jobs page: every job, newest first, by page; refreshes itself. */
(function () {
  'use strict';
  var BD = window.BD;
  var offset = 0;
  var total = 0;
  var tbody = document.querySelector('#jobs tbody');

  function bar(pct) {
    var fill = BD.el('div', { class: 'fill' });
    fill.style.width = Math.max(0, Math.min(100, pct)) + '%';
    return BD.el('div', { class: 'progress' }, [BD.el('div', { class: 'bar' }, [fill]), BD.el('span', { text: pct + '%' })]);
  }

  function row(job) {
    var p = job.progress;
    var b = job.batches;
    var td = function (value, cls) { return BD.el('td', { class: cls, text: value }); };
    var link = BD.el('a', { href: BD.jobUrl(job.id), class: 'mono', text: job.id });
    return BD.el('tr', { 'data-job-id': job.id }, [
      BD.el('td', { class: 'id' }, [link]),
      BD.el('td', {}, [BD.el('span', { class: BD.statusClass(job.status), text: job.status })]),
      td(job.distributed ? 'distributed' : 'single process'),
      BD.el('td', {}, [bar(p.percentage)]),
      td(BD.number(p.processedRecords), 'num'),
      td(BD.number(p.failedRecords), 'num'),
      td(BD.number(p.totalRecords), 'num'),
      td(BD.number(b.completed + b.failed) + ' / ' + BD.number(b.total), 'num'),
      td(BD.number(b.processing), 'num'),
      td(BD.time(job.startedAt)),
      td(job.startedAt !== undefined ? BD.duration(p.elapsedMs) : '', 'num'),
      td(BD.rate(job.throughput), 'num'),
    ]);
  }

  function render(page) {
    total = page.total;
    tbody.replaceChildren.apply(tbody, page.jobs.map(row));
    if (page.jobs.length === 0) tbody.appendChild(BD.el('tr', {}, [BD.el('td', { colspan: 12, class: 'muted', text: 'No jobs.' })]));
    var first = page.jobs.length ? offset + 1 : 0;
    BD.text(document.getElementById('page'), first + '–' + (offset + page.jobs.length) + ' of ' + BD.number(total));
    BD.text(document.getElementById('summary'), BD.number(total) + ' job' + (total === 1 ? '' : 's') + ', newest first');
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = offset + page.jobs.length >= total;
  }

  function tick() {
    return BD.api('api/jobs?offset=' + offset + '&limit=' + BD.pageSize).then(function (page) {
      render(page);
      return true;
    });
  }

  document.getElementById('prev').addEventListener('click', function () {
    offset = Math.max(0, offset - BD.pageSize);
    tick().catch(function (e) { BD.showError(e.message); });
  });
  document.getElementById('next').addEventListener('click', function () {
    if (offset + BD.pageSize < total) offset += BD.pageSize;
    tick().catch(function (e) { BD.showError(e.message); });
  });
  BD.poll(tick);
})();
