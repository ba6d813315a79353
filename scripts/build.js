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
fs.writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
fs.writeFileSync(path.join(esm, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
process.stdout.write(`built dist/ (CommonJS) and dist/esm/ (ESM, ${rewritten} relative specifiers given extensions)\n`);
