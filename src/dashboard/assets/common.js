/*
 * The dashboard pages' shared helpers (plain browser script, no build step).
 * Every value from the API is put into the page as text (textContent, text
 * nodes, attribute values), never parsed as markup.
 */
(function () {
  'use strict';
  var body = document.body;
  var KNOWN = ['CREATED', 'PREVIEWING', 'PREVIEWED', 'PROCESSING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED', 'PENDING', 'STALE'];
  var updates = 0;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    var p = props || {};
    Object.keys(p).forEach(function (k) {
      var v = p[k];
      if (v === undefined || v === null) return;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = String(v);
      else node.setAttribute(k, String(v));
    });
    (children || []).forEach(function (c) {
      if (c === undefined || c === null) return;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return node;
  }

  function text(node, value) {
    node.textContent = value === undefined || value === null ? '' : String(value);
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function duration(ms) {
    if (ms === undefined || ms === null || !isFinite(ms)) return '';
    if (ms < 1000) return Math.round(ms) + 'ms';
    var s = Math.floor(ms / 1000);
    if (s < 60) return (ms / 1000).toFixed(1) + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + pad(s % 60) + 's';
    var h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + pad(m % 60) + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }

  function time(ms) {
    if (ms === undefined || ms === null) return '';
    var d = new Date(ms);
    var today = new Date();
    var clock = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    if (d.toDateString() === today.toDateString()) return clock;
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock;
  }

  function number(n) {
    return n === undefined || n === null ? '' : Number(n).toLocaleString('en-US');
  }

  function rate(r) {
    return r === undefined || r === null ? '' : number(Math.round(r)) + ' rec/s';
  }

  function statusClass(status) {
    var s = String(status);
    return 'badge st-' + (KNOWN.indexOf(s) >= 0 ? s.toLowerCase() : 'other');
  }

  function showError(message) {
    var banner = document.getElementById('error');
    text(banner, message);
    banner.hidden = false;
  }

  function clearError() {
    document.getElementById('error').hidden = true;
  }

  function errorOf(res) {
    return res.json().then(function (j) { return j && j.error; }, function () { return ''; }).then(function (msg) {
      var e = new Error(res.status + ' ' + (msg || res.statusText || 'error'));
      e.status = res.status;
      throw e;
    });
  }

  function api(path) {
    return fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' }).then(function (res) {
      return res.ok ? res.json() : errorOf(res);
    });
  }

  function post(path, token) {
    return fetch(path, {
      method: 'POST', cache: 'no-store', credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-Dashboard-Token': token || '' },
    }).then(function (res) {
      return res.ok ? res.json() : errorOf(res);
    });
  }

  /* A job's API path, the id in the query: safe for any id, even "." or "..". */
  function apiJob(id, sub) {
    return 'api/job' + (sub ? '/' + sub : '') + '?id=' + encodeURIComponent(id);
  }

  function jobUrl(id) {
    return 'job?id=' + encodeURIComponent(id);
  }

  function setLive(state) {
    var live = document.getElementById('live');
    text(live, state);
    live.className = 'live' + (state === 'live' ? ' on' : '');
  }

  /* Runs `tick` now and again every refreshMs while it resolves to true; errors show in the banner and retry. */
  function poll(tick) {
    var refreshMs = Number(body.getAttribute('data-refresh-ms')) || 2000;
    function run() {
      if (document.hidden) {
        setTimeout(run, refreshMs);
        return;
      }
      Promise.resolve().then(tick).then(function (again) {
        clearError();
        updates += 1;
        body.setAttribute('data-updates', String(updates));
        setLive(again ? 'live' : 'finished');
        if (again) setTimeout(run, refreshMs);
      }, function (error) {
        showError(String(error && error.message ? error.message : error));
        setLive('retrying');
        setTimeout(run, refreshMs);
      });
    }
    run();
  }

  window.BD = {
    el: el, text: text, duration: duration, time: time, number: number, rate: rate, statusClass: statusClass,
    api: api, post: post, apiJob: apiJob, jobUrl: jobUrl, poll: poll, showError: showError,
    staleAfterMs: Number(body.getAttribute('data-stale-after-ms')) || 60000,
    pageSize: Number(body.getAttribute('data-page-size')) || 25,
    actions: body.getAttribute('data-actions') === 'true',
  };
})();
