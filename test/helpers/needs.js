/**
 * Test files that need something this run may not have: left out (not
 * skipped test by test) when it is missing. `test/helpers/globalSetup.ts`
 * names them at the start of the run. CI sets every URL and SLOW_TESTS=1.
 */
const env = process.env;
const NEEDS = [
  ['test/reliability/sqlmode.test.ts', 'MARIADB_URL or MYSQL_URL', Boolean(env.MARIADB_URL || env.MYSQL_URL)],
  ['test/integration/counters.test.ts', 'PG_URL', Boolean(env.PG_URL)],
  ['test/distributed/multiprocess.test.ts', 'a server URL and SLOW_TESTS=1',
    Boolean(env.PG_URL || env.MARIADB_URL || env.MYSQL_URL) && env.SLOW_TESTS === '1'],
];

module.exports = { NEEDS };
