/*
 * The job page's batch map (a canvas, one cell per batch coloured by
 * status, stale leases outlined), its details on hover or click, the
 * throughput chart (uPlot) and the workers table.
 */
(function () {
  'use strict';
  var BD = window.BD;
  var COLORS = { PENDING: '#cfd6de', PROCESSING: '#3b82f6', PAUSED: '#eab308', COMPLETED: '#22c55e', FAILED: '#ef4444', STALE: '#f97316' };
  var LABELS = ['PENDING', 'PROCESSING', 'STALE', 'PAUSED', 'COMPLETED', 'FAILED'];
  var canvas = document.getElementById('map');
  var details = document.getElementById('batch-details');
  var map = null;
  var pinned = -1;
  var layout = { pitch: 12, cell: 10, cols: 1 };
  var chart = null;

  function col(name) {
    return map.columns.indexOf(name);
  }

  function statusOf(row) {
    return row[col('stale')] ? 'STALE' : map.statuses[row[col('status')]] || 'PENDING';
  }

  function draw() {
    if (!map) return;
    var n = map.rows.length;
    var box = window.getComputedStyle(canvas.parentElement);
    var inner = canvas.parentElement.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight);
    var width = Math.max(200, Math.floor(inner));
    layout.cell = n > 4000 ? 5 : n > 1500 ? 7 : 10;
    layout.pitch = layout.cell + (n > 4000 ? 1 : 2);
    layout.cols = Math.max(1, Math.floor(width / layout.pitch));
    var height = Math.max(layout.pitch, Math.ceil(n / layout.cols) * layout.pitch);
    var dpr = window.devicePixelRatio || 1;
    canvas.width = width * dpr;
    canvas.height = height * dpr;
    canvas.style.width = width + 'px';
    canvas.style.height = height + 'px';
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    for (var i = 0; i < n; i++) {
      var s = statusOf(map.rows[i]);
      var x = (i % layout.cols) * layout.pitch;
      var y = Math.floor(i / layout.cols) * layout.pitch;
      g.fillStyle = COLORS[s];
      g.fillRect(x, y, layout.cell, layout.cell);
      if (s === 'STALE' || i === pinned) {
        g.strokeStyle = i === pinned ? '#111827' : '#7c2d12';
        g.lineWidth = 1.5;
        g.strokeRect(x + 0.75, y + 0.75, layout.cell - 1.5, layout.cell - 1.5);
      }
    }
  }

  function legend() {
    var ul = document.getElementById('legend');
    ul.replaceChildren.apply(ul, LABELS.map(function (s) {
      var swatch = BD.el('span', { class: 'swatch' });
      swatch.style.background = COLORS[s];
      var count = map ? map.counts[s] || 0 : 0;
      var label = s === 'STALE' ? 'stale lease' : s.toLowerCase();
      return BD.el('li', { id: 'legend-' + s, 'data-count': count }, [swatch, label + ' ' + BD.number(count)]);
    }));
  }

  function describe(i) {
    var r = map.rows[i];
    var v = function (name) { return r[col(name)]; };
    var parts = ['Batch #' + (v('index') === null ? '?' : v('index')), statusOf(r)];
    var w = v('worker');
    if (w >= 0) parts.push('worker ' + map.workerIds[w]);
    if (v('claimedAt') !== null) parts.push('claimed ' + BD.time(v('claimedAt')) + ' (' + BD.duration(map.now - v('claimedAt')) + ' ago)');
    if (v('renewedAt') !== null) parts.push('renewed ' + BD.time(v('renewedAt')));
    if (map.statuses[v('status')] === 'PROCESSING' && v('claimedAt') !== null) {
      var age = map.now - (v('renewedAt') !== null ? v('renewedAt') : v('claimedAt'));
      parts.push('lease age ' + BD.duration(age) + (v('stale') ? ' — stale (over ' + BD.duration(map.staleAfterMs) + ')' : ''));
    }
    if (v('finishedAt') !== null) parts.push('finished ' + BD.time(v('finishedAt')));
    parts.push(BD.number(v('processed')) + ' processed, ' + BD.number(v('failed')) + ' failed');
    if (v('recordStart') !== null) parts.push('records ' + v('recordStart') + '–' + v('recordEnd'));
    return parts.join(' · ');
  }

  function showDetails(i) {
    if (!map || i < 0 || i >= map.rows.length) {
      BD.text(details, pinned >= 0 && map && pinned < map.rows.length ? describe(pinned) : 'Hover or click a batch for its details.');
      return;
    }
    BD.text(details, describe(i));
  }

  function cellAt(event) {
    var rect = canvas.getBoundingClientRect();
    var x = Math.floor((event.clientX - rect.left) / layout.pitch);
    var y = Math.floor((event.clientY - rect.top) / layout.pitch);
    if (x < 0 || x >= layout.cols || y < 0) return -1;
    var i = y * layout.cols + x;
    return map && i < map.rows.length ? i : -1;
  }

  canvas.addEventListener('mousemove', function (e) { showDetails(cellAt(e)); });
  canvas.addEventListener('mouseleave', function () { showDetails(-1); });
  canvas.addEventListener('click', function (e) {
    var i = cellAt(e);
    pinned = pinned === i ? -1 : i;
    draw();
    showDetails(i);
  });
  window.addEventListener('resize', function () {
    draw();
    if (chart) chart.setSize({ width: chartWidth(), height: 220 });
  });

  function chartWidth() {
    return Math.max(300, document.getElementById('chart').clientWidth - 4);
  }

  function renderChart(series) {
    if (typeof window.uPlot !== 'function') return;
    var data = [series.t.map(function (t) { return t / 1000; }), series.rate];
    if (!chart) {
      chart = new window.uPlot({
        width: chartWidth(), height: 220, legend: { show: true },
        series: [{}, { label: 'records/s', stroke: '#2563eb', fill: 'rgba(37,99,235,0.12)', width: 2 }],
        axes: [{ values: function (u, ticks) { return ticks.map(function (t) { return BD.time(t * 1000); }); } }, { size: 60 }],
        scales: { y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
      }, data, document.getElementById('chart'));
    } else {
      chart.setData(data);
    }
  }

  function renderWorkers(workers, onRelease) {
    var tbody = document.querySelector('#workers tbody');
    var rows = workers.map(function (w) {
      var oldest = Math.max.apply(null, w.batches.map(function (b) { return b.leaseAgeMs || 0; }));
      var held = w.batches.map(function (b) { return '#' + (b.index === null ? '?' : b.index); }).join(', ');
      var buttons = BD.el('td', { class: 'actions' }, BD.actions ? w.batches.map(function (b) {
        var btn = BD.el('button', { type: 'button', class: 'release', text: 'Release #' + (b.index === null ? '?' : b.index) });
        btn.addEventListener('click', function () { onRelease(w.workerId, b); });
        return btn;
      }) : []);
      return BD.el('tr', { class: w.stale ? 'stale' : '', 'data-worker-id': w.workerId }, [
        BD.el('td', { class: 'mono' }, [w.workerId, w.stale ? BD.el('span', { class: 'badge st-stale', text: 'stale' }) : null]),
        BD.el('td', { text: held }),
        BD.el('td', { text: BD.time(w.since) }),
        BD.el('td', { text: BD.time(w.lastRenewal) }),
        BD.el('td', { class: 'num', text: BD.duration(oldest) }),
        buttons,
      ]);
    });
    if (rows.length === 0) rows.push(BD.el('tr', {}, [BD.el('td', { colspan: 6, class: 'muted', text: 'No batch is held.' })]));
    tbody.replaceChildren.apply(tbody, rows);
  }

  window.BDMap = {
    render: function (data, onRelease) {
      map = data;
      draw();
      legend();
      showDetails(-1);
      renderChart(data.throughput);
      renderWorkers(data.workers, onRelease);
    },
  };
})();
