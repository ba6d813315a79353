/** Says once per run which databases are covered and which are skipped. */
export default async function globalSetup(): Promise<void> {
  const covered = ['sqlite'];
  const skipped: string[] = [];
  for (const [name, env] of [['postgres', 'PG_URL'], ['mariadb', 'MARIADB_URL'], ['mysql', 'MYSQL_URL']] as const) {
    if (process.env[env]) covered.push(name);
    else skipped.push(`${name} (${env} not set)`);
  }
  process.stdout.write(`\nDatabases covered: ${covered.join(', ')}\n`);
  if (skipped.length > 0) process.stdout.write(`Databases SKIPPED: ${skipped.join(', ')}\n\n`);
}
