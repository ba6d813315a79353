#!/usr/bin/env bash
# Checks the package as users get it: builds, `npm pack`s, installs the tarball
# into a fresh temporary project and checks that
#   - `require` (CommonJS) and `import` (ESM) both load it, build a store on
#     SQLite, initialize it, run migrations and save/read a job;
#   - each resolves to its own build (dist/ and dist/esm/);
#   - every command of package.json `bin` runs (`--help`) from the install;
#   - the `./dashboard` entry loads with `require` and `import` (each from its
#     own build), serves its pages, every asset they name, its API and
#     /metrics; requiring the main entry loads neither it nor prom-client;
#   - TypeScript accepts the types under `moduleResolution: node16` (from a
#     CommonJS .cts and an ESM .mts file) and `bundler`, and they are real
#     types (a wrong call must be an error).
#
# Offline: the tarball's dependencies and peers are installed from the npm
# cache (`npm install --offline`, versions pinned to the repo's), falling back
# to the registry only if the cache misses. sqlite3 (a native module, ~2 min to
# compile) and typescript are linked from the repo's node_modules.
#
# Usage: npm run check:package   (or bash scripts/check-package.sh; KEEP_TMP=1 keeps the project)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/state-sequelize-pkg.XXXXXX")"
cleanup() { if [ "${KEEP_TMP:-}" = "1" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "build"
(cd "$ROOT" && npm run --silent build)

step "npm pack"
TARBALL="$(cd "$ROOT" && npm pack --silent --pack-destination "$WORK" | tail -n 1)"
TARBALL="$WORK/$TARBALL"
echo "$TARBALL"
# The tarball holds both builds, their declarations and no test or source files.
tar -tzf "$TARBALL" > "$WORK/files.txt"
for f in package/dist/index.js package/dist/index.d.ts package/dist/package.json \
         package/dist/esm/index.js package/dist/esm/index.d.ts package/dist/esm/package.json; do
  grep -qx "$f" "$WORK/files.txt" || { echo "missing from the tarball: $f"; exit 1; }
done
for f in package/dist/dashboard/index.js package/dist/dashboard/index.d.ts package/dist/esm/dashboard/index.js \
         package/dist/dashboard/assets/job.js package/dist/esm/dashboard/assets/dashboard.css; do
  grep -qx "$f" "$WORK/files.txt" || { echo "missing from the tarball: $f"; exit 1; }
done
if grep -E '^package/(src|test)/' "$WORK/files.txt"; then echo "the tarball ships sources or tests"; exit 1; fi

step "install the tarball into a fresh project"
APP="$WORK/app"
mkdir -p "$APP"
cd "$APP"
node -e '
  const root = process.argv[1];
  const v = (p) => require(`${root}/node_modules/${p}/package.json`).version;
  const deps = {};
  for (const p of ["sequelize", "sequelize-typescript", "reflect-metadata", "@types/node", "@types/validator"]) deps[p] = v(p);
  require("fs").writeFileSync("package.json", JSON.stringify({ name: "pkgcheck", version: "1.0.0", private: true, dependencies: deps }, null, 2));
' "$ROOT"
NPM_FLAGS=(--ignore-scripts --no-audit --no-fund --loglevel=error)
if ! npm install --offline "${NPM_FLAGS[@]}" "$TARBALL"; then
  echo "(npm cache miss: retrying with --prefer-offline)"
  npm install --prefer-offline "${NPM_FLAGS[@]}" "$TARBALL"
fi
test -f node_modules/@batchactions/state-sequelize/package.json
test -d node_modules/sequelize -a -d node_modules/umzug
ln -s "$ROOT/node_modules/sqlite3" node_modules/sqlite3
ln -s "$ROOT/node_modules/typescript" node_modules/typescript

JOB='{ id: "job-1", config: { batchSize: 2 }, status: "PROCESSING", batches: [{ id: "b0", index: 0, status: "PENDING", records: [], processedCount: 0, failedCount: 0 }], totalRecords: 2 }'

step "require (CommonJS)"
cat > use.cjs <<EOF
require('reflect-metadata');
const assert = require('assert');
const lib = require('@batchactions/state-sequelize');
const { Sequelize } = require('sequelize');
assert.match(require.resolve('@batchactions/state-sequelize'), /node_modules\/@batchactions\/state-sequelize\/dist\/index\.js$/);
(async () => {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  const store = new lib.SequelizeStateStore(sequelize, { tablePrefix: 'cjs_' });
  await store.initialize();
  assert.deepStrictEqual(await lib.migrate(sequelize, { tablePrefix: 'm_' }), lib.SCHEMA_MIGRATIONS.map((m) => m.name));
  await store.saveJobState($JOB);
  await store.saveProcessedRecord('job-1', 'b0', { index: 0, raw: { a: 1 }, parsed: { a: 1 }, status: 'processed', errors: [] });
  assert.strictEqual((await store.getJobState('job-1')).batches.length, 1);
  assert.strictEqual((await store.getProcessedRecords('job-1')).length, 1);
  assert.strictEqual(typeof lib.stateStoreProvider().useFactory, 'function');
  assert.ok(new lib.PersistenceError('x') instanceof lib.StateStoreError);
  await sequelize.close();
  console.log('require: ok');
})().catch((e) => { console.error(e); process.exit(1); });
EOF
node use.cjs

step "import (ESM)"
cat > use.mjs <<EOF
import 'reflect-metadata';
import assert from 'assert';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import { SequelizeStateStore, migrate, migrationDdl, SCHEMA_MIGRATIONS, stateStoreProvider, STATE_ENTITIES } from '@batchactions/state-sequelize';
import * as cjsSide from '@batchactions/state-sequelize/package.json' with { type: 'json' };
import { Sequelize } from 'sequelize';
assert.match(fileURLToPath(import.meta.resolve('@batchactions/state-sequelize')), /state-sequelize\/dist\/esm\/index\.js$/);
assert.strictEqual(cjsSide.default.name, '@batchactions/state-sequelize');
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
const store = new SequelizeStateStore(sequelize, { tablePrefix: 'esm_' });
await store.initialize();
assert.deepStrictEqual(await migrate(sequelize, { tablePrefix: 'm_' }), SCHEMA_MIGRATIONS.map((m) => m.name));
assert.match(migrationDdl(sequelize, { tablePrefix: 'ddl_' }), /CREATE TABLE IF NOT EXISTS .ddl_bulkimport_jobs. /);
await store.saveJobState($JOB);
assert.strictEqual((await store.getJobState('job-1')).status, 'PROCESSING');
assert.strictEqual(STATE_ENTITIES.length, 3);
assert.strictEqual(typeof stateStoreProvider().useFactory, 'function');
// The dual-package hazard, as documented: the two builds are two module instances.
const require = createRequire(import.meta.url);
assert.notStrictEqual(require('@batchactions/state-sequelize').SequelizeStateStore, SequelizeStateStore);
await sequelize.close();
console.log('import: ok');
EOF
node use.mjs

step "dashboard entry (require and import): page, assets, API; the main entry loads none of it"
cat > main-only.cjs <<'EOF'
require('reflect-metadata');
const assert = require('assert');
require('@batchactions/state-sequelize');
const loaded = Object.keys(require.cache).filter((f) => /[\\/](prom-client|uplot)[\\/]|[\\/]dashboard[\\/]/.test(f));
assert.deepStrictEqual(loaded, [], 'the main entry loaded the dashboard or prom-client');
console.log('main entry without the dashboard or prom-client: ok');
EOF
node main-only.cjs
cat > dashboard-check.js <<'EOF'
// Shared by dashboard.cjs and dashboard.mjs: serve a dashboard, fetch its page, every asset it names, its API and metrics.
module.exports = async function check(lib, dashboard, label) {
  const assert = require('assert');
  const { Sequelize } = require('sequelize');
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  const store = new lib.SequelizeStateStore(sequelize, { tablePrefix: 'dash_' });
  await store.initialize();
  await store.saveJobState({ id: 'job/1', config: { batchSize: 2 }, status: 'PROCESSING', batches: [], totalRecords: 2 });
  const { url, close } = await dashboard.serveDashboard(store, { port: 0, basePath: '/imports' });
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/imports\/$/);
    for (const pagePath of ['', 'job?id=job%2F1']) {
      const page = await fetch(new URL(pagePath, url));
      assert.strictEqual(page.status, 200, pagePath);
      assert.match(page.headers.get('content-security-policy'), /script-src 'self'/);
      for (const ref of (await page.text()).match(/(?:src|href)="assets\/[^"]+"/g)) {
        const res = await fetch(new URL(ref.split('"')[1], url));
        assert.strictEqual(res.status, 200, ref);
        assert.ok((await res.arrayBuffer()).byteLength > 100, ref);
      }
    }
    const jobs = await (await fetch(new URL('api/jobs', url))).json();
    assert.deepStrictEqual(jobs.jobs.map((j) => j.id), ['job/1']);
    assert.strictEqual((await fetch(new URL(`api/jobs/${encodeURIComponent('job/1')}`, url))).status, 200);
    assert.match(await (await fetch(new URL('metrics', url))).text(), /bulkimport_jobs\{status="PROCESSING"\} 1/);
  } finally {
    await close();
    await sequelize.close();
  }
  console.log(`${label}: ok`);
};
EOF
cat > dashboard.cjs <<'EOF'
require('reflect-metadata');
const assert = require('assert');
assert.match(require.resolve('@batchactions/state-sequelize/dashboard'), /state-sequelize\/dist\/dashboard\/index\.js$/);
require('./dashboard-check.js')(require('@batchactions/state-sequelize'), require('@batchactions/state-sequelize/dashboard'), 'dashboard via require')
  .catch((e) => { console.error(e); process.exit(1); });
EOF
cat > dashboard.mjs <<'EOF'
import 'reflect-metadata';
import assert from 'assert';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import * as lib from '@batchactions/state-sequelize';
import * as dashboard from '@batchactions/state-sequelize/dashboard';
assert.match(fileURLToPath(import.meta.resolve('@batchactions/state-sequelize/dashboard')), /state-sequelize\/dist\/esm\/dashboard\/index\.js$/);
await createRequire(import.meta.url)('./dashboard-check.js')(lib, dashboard, 'dashboard via import');
EOF
# prom-client is an optional peer, not installed with the package: add it (offline first) for /metrics.
PROM="prom-client@$(node -p "require('$ROOT/node_modules/prom-client/package.json').version")"
npm install --offline "${NPM_FLAGS[@]}" "$PROM" || npm install --prefer-offline "${NPM_FLAGS[@]}" "$PROM"
# npm prunes what package.json does not name: link sqlite3 and typescript again.
ln -sfn "$ROOT/node_modules/sqlite3" node_modules/sqlite3
ln -sfn "$ROOT/node_modules/typescript" node_modules/typescript
node dashboard.cjs
node dashboard.mjs

step "command-line tools (package.json bin)"
node -e '
  const bin = require("@batchactions/state-sequelize/package.json").bin || {};
  for (const name of typeof bin === "string" ? ["state-sequelize"] : Object.keys(bin)) console.log(name);
' > bins.txt
while read -r name; do
  "node_modules/.bin/$name" --help > /dev/null || { echo "$name --help failed"; exit 1; }
  echo "$name --help: ok"
done < bins.txt

step "TypeScript types"
cat > typed.ts <<'EOF'
import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { Sequelize as TsSequelize } from 'sequelize-typescript';
import {
  SequelizeStateStore, migrate, stateStoreProvider, JobEntity, STATE_ENTITIES,
  type DistributedStateStore, type JobState, type StateStoreProvider,
} from '@batchactions/state-sequelize';

export async function run(): Promise<JobState | null> {
  const store: DistributedStateStore = new SequelizeStateStore(new Sequelize('sqlite::memory:'), { tablePrefix: 'x_' });
  const other = new SequelizeStateStore(new TsSequelize({ dialect: 'sqlite', storage: ':memory:', models: [...STATE_ENTITIES] }));
  const provider: StateStoreProvider = stateStoreProvider({ setup: 'migrate' });
  const applied: string[] = await migrate(other.sequelize, { tablePrefix: 'x_' });
  const status: string = (await JobEntity.findByPk('x'))?.status ?? applied.join();
  // @ts-expect-error tablePrefix is a string: the types are real, not any
  new SequelizeStateStore(other.sequelize, { tablePrefix: 1 });
  // @ts-expect-error unknown setup
  stateStoreProvider({ setup: 'sometimes' });
  void provider; void status;
  return store.getJobState('x');
}
EOF
cp typed.ts typed.cts
cp typed.ts typed.mts
COMMON='"strict": true, "noEmit": true, "skipLibCheck": false, "experimentalDecorators": true, "emitDecoratorMetadata": true, "target": "ES2022", "lib": ["ES2022"], "types": ["node"]'
cat > tsconfig.node16.json <<EOF
{ "compilerOptions": { "module": "node16", "moduleResolution": "node16", $COMMON }, "files": ["typed.cts", "typed.mts"] }
EOF
cat > tsconfig.bundler.json <<EOF
{ "compilerOptions": { "module": "esnext", "moduleResolution": "bundler", $COMMON }, "files": ["typed.ts"] }
EOF
TSC="node node_modules/typescript/bin/tsc"
$TSC -p tsconfig.node16.json && echo "node16 (typed.cts via require, typed.mts via import): ok"
$TSC -p tsconfig.bundler.json && echo "bundler: ok"
# The ESM side must resolve to the ESM declarations, the CJS side to the CJS ones.
$TSC -p tsconfig.node16.json --traceResolution | grep -E "Module name '@batchactions/state-sequelize' was successfully resolved to" | sort -u > resolution.txt
grep -q "dist/esm/index.d.ts" resolution.txt && grep -q "state-sequelize/dist/index.d.ts" resolution.txt \
  || { cat resolution.txt; echo "node16 did not resolve both builds' declarations"; exit 1; }

step "package check passed"
