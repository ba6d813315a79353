/** Says once per run which databases are covered and which are skipped. */
export default async function globalSetup(): Promise<void> {
  const covered = ['sqlite'];
  const skipped: string[] = [];
  for (const [name, env] of [['postgres', 'PG_URL'], ['mariadb', 'MARIADB_URL'], ['mysql', 'MYSQL_URL']] as const) {
    if (process.env[env]) covered.push(name);
    else skipped.push(`${name} (${env} not set)`);
  }
  process.stdout.write(`\nDatabases covered: ${covered.join(', ')}\n`);
  if (skipped.length > 0) process.stdout.write(`Databases SKIPPED: ${skipped.join(', ')}\n`);
  if (process.env.SLOW_TESTS !== '1') process.stdout.write('Slow tests SKIPPED (worker processes, browser, long imports): SLOW_TESTS=1 runs them\n');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NEEDS } = require('./needs') as { NEEDS: [string, string, boolean][] };
  for (const [file, need, ok] of NEEDS) if (!ok) process.stdout.write(`Test file LEFT OUT: ${file} (needs ${need})\n`);
  process.stdout.write('\n');
}
