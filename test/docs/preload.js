/**
 * Loaded (`node -r`) before a compiled documentation snippet runs:
 * - `@batchactions/state-sequelize` and its `/dashboard` entry resolve to the
 *   compiled sources in SNIPPET_OUT, not to a package build;
 * - every HTTP server's `listen` gets a free port (a snippet's `listen(4100)`
 *   must not depend on that port being free) and is recorded in
 *   `globalThis.__snippetServers` for the snippet's checks.
 */
'use strict';
const Module = require('module');
const path = require('path');
const http = require('http');

const out = process.env.SNIPPET_OUT;
if (!out) throw new Error('preload.js: SNIPPET_OUT is not set');
const aliases = {
  '@batchactions/state-sequelize': path.join(out, 'src', 'index.js'),
  '@batchactions/state-sequelize/dashboard': path.join(out, 'src', 'dashboard', 'index.js'),
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveSnippet(request, ...rest) {
  return resolve.call(this, Object.prototype.hasOwnProperty.call(aliases, request) ? aliases[request] : request, ...rest);
};

globalThis.__snippetServers = [];
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function listenOnFreePort(...args) {
  globalThis.__snippetServers.push(this);
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) args[0] = 0;
  else if (args[0] && typeof args[0] === 'object' && 'port' in args[0]) args[0] = { ...args[0], port: 0 };
  return listen.apply(this, args);
};
