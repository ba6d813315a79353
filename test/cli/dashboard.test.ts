/** `bulkimport-state dashboard`: serves until SIGINT, prints its URL, stops cleanly; flag checks. */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const ARGS = ['-r', 'ts-node/register/transpile-only', MAIN];

test('dashboard: prints its URL, serves the API, stops on Ctrl-C with exit code 0', async () => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-dashboard-')), 'db.sqlite');
  const url = `sqlite:${db}`;
  expect(spawnSync(process.execPath, [...ARGS, '--url', url, 'init'], { cwd: ROOT }).status).toBe(0);
  const child = spawn(process.execPath, [...ARGS, '--url', url, 'dashboard', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/Dashboard: (\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const served = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(read-only\)/.exec(out)?.[1];
  expect(served).toBeDefined();
  const res = await fetch(`${served}api/jobs`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ total: 0, jobs: [] });
  child.kill('SIGINT');
  expect(await exit).toBe(0);
  expect(out).toContain('Dashboard stopped.');
  fs.rmSync(path.dirname(db), { recursive: true, force: true });
});

test('dashboard: --allow-actions needs a token of 16 characters or more', () => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-dashboard-')), 'db.sqlite');
  const r = spawnSync(process.execPath, [...ARGS, '--url', `sqlite:${db}`, 'dashboard', '--allow-actions', '--token', 'short'], { cwd: ROOT });
  fs.rmSync(path.dirname(db), { recursive: true, force: true });
  expect(r.status).toBe(2);
  expect(r.stderr.toString()).toMatch(/--allow-actions needs --token/);
});
