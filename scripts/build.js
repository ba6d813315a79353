#!/usr/bin/env node
/**
 * Builds the package: CommonJS into dist/ and ESM into dist/esm/, each with
 * its type declarations and a package.json that says its module type.
 *
 * Two plain `tsc` builds (tsup/esbuild drop the decorator metadata the
 * entities rely on). The ESM build keeps the source's extensionless relative
 * specifiers, which Node's ESM loader and `moduleResolution: node16` refuse,
 * so this script rewrites them to `./x.js` / `./x/index.js` in the emitted
 * .js and .d.ts files. The CLI (src/cli) is CommonJS only.
 *
 * Usage: node scripts/build.js
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const esm = path.join(dist, 'esm');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });

function run(project) {
  execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
}

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/** `./x` → `./x.js` or `./x/index.js`, whichever the build emitted. */
function withExtension(file, specifier) {
  if (/\.(c|m)?js$/.test(specifier)) return specifier;
  const base = path.resolve(path.dirname(file), specifier);
  if (fs.existsSync(`${base}.js`)) return `${specifier}.js`;
  if (fs.existsSync(path.join(base, 'index.js'))) return `${specifier}/index.js`;
  throw new Error(`${path.relative(root, file)}: cannot resolve ${specifier} in the ESM build`);
}

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]*)\2/g;

fs.rmSync(dist, { recursive: true, force: true });
run('tsconfig.build.json');
run('tsconfig.esm.json');

let rewritten = 0;
for (const file of walk(esm)) {
  if (!/\.(js|d\.ts)$/.test(file)) continue;
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(SPECIFIER, (_m, head, quote, spec) => {
    rewritten += 1;
    return `${head}${quote}${withExtension(file, spec)}${quote}`;
  });
  if (next !== text) fs.writeFileSync(file, next);
}
// The dashboard: its plain browser files (assets/) go next to both builds'
// modules, and the ESM build gets its own runtime.js (`import.meta.url`
// instead of CommonJS's `__dirname` and `require`; see src/dashboard/runtime.ts).
const ESM_RUNTIME = `import { createRequire } from 'module';
import { fileURLToPath } from 'url';
/** The directory of this module: dist/esm/dashboard. */
export const moduleDir = fileURLToPath(new URL('.', import.meta.url));
/** \`require\` relative to this module (optional peers, uPlot's files). */
export const requireHere = createRequire(import.meta.url);
`;
for (const out of [path.join(dist, 'dashboard'), path.join(esm, 'dashboard')]) {
  fs.cpSync(path.join(root, 'src', 'dashboard', 'assets'), path.join(out, 'assets'), { recursive: true });
}
const esmRuntime = path.join(esm, 'dashboard', 'runtime.js');
if (!fs.readFileSync(esmRuntime, 'utf8').includes('__dirname')) throw new Error('dist/esm/dashboard/runtime.js: expected the CommonJS runtime to replace');
fs.writeFileSync(esmRuntime, ESM_RUNTIME);

fs.writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
fs.writeFileSync(path.join(esm, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
process.stdout.write(`built dist/ (CommonJS) and dist/esm/ (ESM, ${rewritten} relative specifiers given extensions)\n`);
