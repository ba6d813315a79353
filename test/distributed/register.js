/**
 * A TypeScript require hook for the worker processes, like
 * `ts-node/register/transpile-only` (per-file `transpileModule`, no type
 * check) but with a disk cache keyed by path and content: eight workers
 * starting at once on a 2-core machine each spent ~3 s of CPU loading the
 * compiler and transpiling the same files. With a warm cache the compiler is
 * never loaded. `warm(files)` fills the cache (the orchestrator calls it once
 * before forking).
 *
 * Set `DIST_LOADER=ts-node` to run the workers under ts-node instead.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const CACHE = process.env.DIST_TS_CACHE || path.join(os.tmpdir(), 'bulkimport-dist-ts-cache');
let ts;
let compilerOptions;

function compiler() {
  if (!ts) {
    ts = require('typescript');
    const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config;
    compilerOptions = {
      ...ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT).options,
      module: ts.ModuleKind.CommonJS,
      sourceMap: false,
      inlineSourceMap: true,
      declaration: false,
      declarationMap: false,
    };
  }
  return ts;
}

function cacheFile(filename, source) {
  const key = crypto.createHash('sha256').update(`${filename}\0${source}`).digest('hex');
  return path.join(CACHE, `${key}.js`);
}

/** The JavaScript for a TypeScript file, from the cache or freshly transpiled (and cached). */
function transpile(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const file = cacheFile(filename, source);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    const out = compiler().transpileModule(source, { compilerOptions, fileName: filename }).outputText;
    fs.mkdirSync(CACHE, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, file); // atomic: concurrent writers of one key write the same text
    return out;
  }
}

/** Transpiles `files` into the cache. */
function warm(files) {
  for (const f of files) transpile(f);
}

/** Makes `require` of `.ts` files go through {@link transpile}. */
function install() {
  require.extensions['.ts'] = function load(module, filename) {
    module._compile(transpile(filename), filename);
  };
}

// Preloaded by `node -r` in a worker (the orchestrator sets DIST_REGISTER=1
// in the worker's environment only).
if (process.env.DIST_REGISTER === '1') install();

module.exports = { warm, transpile, install, CACHE };
