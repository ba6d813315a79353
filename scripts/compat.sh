#!/usr/bin/env bash
# Peer-version check: runs the jest suite (SQLite + PostgreSQL) against other
# versions of the peer dependencies than the lock file's.
#
# Usage: PG_URL=postgres://... bash scripts/compat.sh [COMBO...]
#   COMBO is SEQUELIZE/SEQUELIZE_TYPESCRIPT/REFLECT_METADATA, each an npm
#   version or range, e.g. 6.20.0/2.1.1/0.1.13 or '^6/^2/latest'.
#   Default: two combinations derived from package.json's peerDependencies:
#     min    - the lowest version each declared range allows
#     newest - the highest published version each declared range allows
#
# Each combination runs in a throwaway copy of the committed tree (git archive
# HEAD), starting from a copy of the repository's node_modules (no sqlite3
# rebuild), with the versions installed on top. Nothing in the repository, its
# working tree or its node_modules is changed. MARIADB_URL / MYSQL_URL are
# unset for the run. PG_URL is required: each combination gets a fresh
# database on that server (CREATE DATABASE through psql, dropped afterwards),
# so what one combination leaves behind cannot fail the next (leftover
# public.bulkimport_* tables make the NestJS synchronize test fail).
#
# COMPAT_REV tests another commit than HEAD (e.g. COMPAT_REV=HEAD~1).
# COMPAT_LEAVE_OUT overrides the test files left out (default: the slow
# multi-process suites, which only re-test the same store calls from child
# processes; jest.config.js also leaves out files whose database is not set).
# COMPAT_JEST_ARGS adds jest arguments. Exits non-zero if any combination fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

: "${PG_URL:?PG_URL must be set: the compatibility run covers SQLite and PostgreSQL}"
[[ -d node_modules ]] || { echo "compat: no node_modules in $ROOT; run npm ci first" >&2; exit 1; }

REV=$(git rev-parse --verify "${COMPAT_REV:-HEAD}^{commit}")
LEAVE_OUT=${COMPAT_LEAVE_OUT-'/test/(distributed/multiprocess|reliability/crash)\.test\.ts$'}
read -r -a JEST_ARGS <<<"${COMPAT_JEST_ARGS-}"

# peer NAME: the declared peer range of NAME in the tested commit's package.json.
peer() {
  git show "$REV:package.json" | node -e '
    const p = JSON.parse(require("fs").readFileSync(0, "utf8")).peerDependencies || {};
    if (!p[process.argv[1]]) { console.error("no peerDependency " + process.argv[1]); process.exit(1); }
    console.log(p[process.argv[1]]);' "$1"
}
# minver RANGE: the lowest version RANGE allows.
minver() {
  node -e 'console.log(require("semver").minVersion(process.argv[1]).version)' "$1"
}

COMBOS=("$@")
if ((${#COMBOS[@]} == 0)); then
  s=$(peer sequelize) t=$(peer sequelize-typescript) r=$(peer reflect-metadata)
  COMBOS=("$(minver "$s")/$(minver "$t")/$(minver "$r")" "$s/$t/$r")
fi

# pg_url DB: PG_URL with its database replaced by DB.
pg_url() {
  node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.href)' "$PG_URL" "$1"
}
pg() { psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "$1"; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/compat.XXXXXX")
DB_BASE="compat_$$"
cleanup() {
  rm -rf "$TMP"
  for ((i = 1; i <= ${#COMBOS[@]}; i++)); do pg "DROP DATABASE IF EXISTS ${DB_BASE}_$i WITH (FORCE)" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

SUMMARY=()
failed=0
n=0
for combo in "${COMBOS[@]}"; do
  n=$((n + 1))
  IFS=/ read -r seq st rm extra <<<"$combo"
  if [[ -z ${seq:-} || -z ${st:-} || -z ${rm:-} || -n ${extra:-} ]]; then
    echo "compat: bad combination '$combo' (want SEQUELIZE/SEQUELIZE_TYPESCRIPT/REFLECT_METADATA)" >&2
    exit 2
  fi
  specs=("sequelize@$seq" "sequelize-typescript@$st" "reflect-metadata@$rm")
  dir="$TMP/$n"
  mkdir -p "$dir"
  printf '\n=== compat %d/%d: %s (commit %s)\n' "$n" "${#COMBOS[@]}" "${specs[*]}" "${REV:0:12}"
  start=$SECONDS
  result=PASS
  db="${DB_BASE}_$n"
  {
    pg "CREATE DATABASE $db" && pg "ALTER DATABASE $db SET synchronous_commit = off" &&
      git archive "$REV" | tar -x -C "$dir" &&
      cp -a node_modules "$dir/" &&
      # Saved into the copy's package.json (a throwaway), so that `npm ls`
      # fails only on a real peer conflict (npm install merely warns on one).
      (cd "$dir" && npm install --no-audit --no-fund --save-exact "${specs[@]}") &&
      (cd "$dir" && npm ls sequelize sequelize-typescript reflect-metadata sqlite3)
  } || result="FAIL (install)"
  if [[ $result == PASS ]]; then
    tested=$(cd "$dir" && node -p '["sequelize", "sequelize-typescript", "reflect-metadata"].map((p) =>
      p + "@" + JSON.parse(require("fs").readFileSync("node_modules/" + p + "/package.json", "utf8")).version).join(" ")') ||
      tested="${specs[*]}"
    (cd "$dir" && env -u MARIADB_URL -u MYSQL_URL PG_URL="$(pg_url "$db")" JEST_LEAVE_OUT="$LEAVE_OUT" npx jest ${JEST_ARGS[@]+"${JEST_ARGS[@]}"}) || result="FAIL (jest)"
  else
    tested="${specs[*]}"
  fi
  [[ $result == PASS ]] || failed=1
  SUMMARY+=("$(printf '%-12s %4ds  %s' "$result" "$((SECONDS - start))" "$tested")")
  rm -rf "$dir"
  pg "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
done

printf '\n=== compat summary (sqlite + postgres, commit %s)\n' "${REV:0:12}"
printf '%s\n' "${SUMMARY[@]}"
exit "$failed"
