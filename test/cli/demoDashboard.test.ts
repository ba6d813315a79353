/**
 * `npm run demo -- --dashboard`: the demo serves the dashboard next to the
 * import, prints the job page's address, and keeps serving after the import
 * until Ctrl-C, then exits 0.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { slowTest } from '../helpers/slow';

const ROOT = path.join(__dirname, '..', '..');

// The demo and its worker processes: SLOW_TESTS=1 only.
slowTest('demo --dashboard: the job page is served while and after the import; Ctrl-C stops it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-dashboard-'));
  const env = { ...process.env };
  delete env.DATABASE_URL; // the demo's own SQLite file
  const child = spawn(process.execPath, [
    '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'demo', 'run.ts'),
    '--records', '300', '--batch-size', '50', '--workers', '2', '--no-kill', '--dir', dir, '--dashboard', '--dashboard-port', '0',
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!/Dashboard stays up/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const page = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)job\?id=(\S+)/.exec(out);
    expect(page).not.toBeNull();
    const [, base, id] = page as RegExpExecArray;
    expect((await fetch(`${base}job?id=${id}`)).status).toBe(200);
    const job = await (await fetch(`${base}api/job?id=${id}`)).json() as { job?: { status?: string }; status?: string };
    expect(JSON.stringify(job)).toContain('COMPLETED');
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
