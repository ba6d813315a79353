/**
 * The dashboard in a real browser: Debian's Chromium driven by
 * playwright-core, against a SQLite store that real worker processes
 * (worker.ts) write to. Runs with SLOW_TESTS=1 (CI) only; then skipped,
 * saying so, when no browser is found (DASHBOARD_BROWSER, else
 * /usr/bin/chromium); CI sets DASHBOARD_BROWSER, and a path that does not
 * exist fails.
 *
 * Saves dashboard-jobs.png and dashboard-job.png in .tmp/screenshots (docs/images with UPDATE_SCREENSHOTS=1).
 */
import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Sequelize } from 'sequelize';
import { SequelizeStateStore } from '../../src';
import { uniquePrefix } from '../helpers/databases';
import { SLOW_TESTS } from '../helpers/slow';
import { BROWSER_ARGS, browserPath, seedJob, serve, TOKEN, XSS_FIELD, XSS_JOB, type Served } from './support';

const executablePath = browserPath();
const ROOT = path.join(__dirname, '..', '..');
// Screenshots go to .tmp/screenshots; UPDATE_SCREENSHOTS=1 writes the README's (docs/images) instead.
const IMAGES = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'images') : path.join(ROOT, '.tmp', 'screenshots');
const REGISTER = path.join(ROOT, 'test', 'distributed', 'register.js');
const WORKER = path.join(__dirname, 'worker.ts');
const STALE_MS = 1500;

// A real browser and worker processes: SLOW_TESTS=1 only.
if (SLOW_TESTS && !executablePath) {
  // eslint-disable-next-line no-console
  console.warn('Dashboard browser tests SKIPPED: no browser (set DASHBOARD_BROWSER or install chromium at /usr/bin/chromium)');
}
const suite = SLOW_TESTS && executablePath ? describe : describe.skip;

/** TypeScript files a worker loads, transpiled once into register.js's cache. */
function workerSources(): string[] {
  const out = [WORKER];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ts')) out.push(full);
    }
  };
  walk(path.join(ROOT, 'src'));
  return out;
}

suite('dashboard in Chromium', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-dashboard-'));
  const storage = path.join(dir, 'db.sqlite');
  const prefix = uniquePrefix('dash');
  const children: ChildProcess[] = [];
  let sequelize: Sequelize;
  let store: SequelizeStateStore;
  let armed: Served;
  let readOnly: Served;
  let browser: Browser;

  /** Starts a worker process on `jobId`; resolves once it is connected. */
  function startWorker(jobId: string, workerId: string, env: Record<string, string> = {}): Promise<ChildProcess> {
    const child = fork(WORKER, [], {
      execArgv: ['-r', REGISTER],
      env: {
        ...process.env, DIST_REGISTER: '1', DASH_DB: storage, DASH_PREFIX: prefix, DASH_JOB: jobId, DASH_WORKER: workerId, ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.on('message', (m: { type: string }) => { if (m.type === 'ready') resolve(child); });
      child.on('exit', (code) => reject(new Error(`worker ${workerId} exited with ${code} before it was ready`)));
    });
  }

  const exited = (child: ChildProcess): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

  /** A page that records dialogs and page errors. */
  async function open(url: string): Promise<{ page: Page; dialogs: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const dialogs: string[] = [];
    const errors: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'confirm' ? d.accept() : d.dismiss());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return { page, dialogs, errors };
  }

  const figure = (page: Page, key: string): Promise<string> => page.locator(`[data-figure="${key}"] dd`).innerText();
  const legend = async (page: Page, status: string): Promise<number> =>
    Number(await page.locator(`#legend-${status}`).getAttribute('data-count'));

  beforeAll(async () => {
    (require(REGISTER) as { warm(files: string[]): void }).warm(workerSources());
    sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false });
    store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    await sequelize.query('PRAGMA journal_mode = WAL');
    armed = await serve(store, { actions: { token: TOKEN }, staleAfterMs: STALE_MS, refreshMs: 400, metrics: false });
    readOnly = await serve(store, { staleAfterMs: STALE_MS, refreshMs: 400, metrics: false });
    browser = await chromium.launch({ executablePath, args: BROWSER_ARGS });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await browser?.close();
    await armed?.close();
    await readOnly?.close();
    await store?.close();
    await sequelize?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the jobs page lists a running job; its page updates itself while two workers run it', async () => {
    const jobId = 'nightly-users-import';
    await seedJob(store, jobId, { batches: 24, batchSize: 10, completed: 0, held: 0 });
    const { page, errors } = await open(`${readOnly.url}/`);
    const row = page.locator('#jobs tbody tr', { hasText: jobId });
    await row.waitFor();
    expect(await row.locator('.badge').innerText()).toBe('PROCESSING');
    await row.locator('a').click();
    await page.waitForURL(/\/job\?id=nightly-users-import$/);
    await page.locator('#legend-PENDING').waitFor();
    await page.evaluate('window.__same = 1');
    const before = await figure(page, 'processed');
    const workers = await Promise.all([startWorker(jobId, 'worker-a', { DASH_DELAY_MS: '12' }), startWorker(jobId, 'worker-b', { DASH_DELAY_MS: '12' })]);
    // What the page shows, sampled until it says the job is finished.
    const seen = new Set<string>();
    const deadline = Date.now() + 60_000;
    while ((await page.locator('#live').innerText()) !== 'finished' && Date.now() < deadline) {
      seen.add(await figure(page, 'processed'));
      await page.waitForTimeout(100);
    }
    const after = await figure(page, 'processed');
    seen.delete(before);
    seen.delete(after);
    expect(seen.size).toBeGreaterThan(0); // progress shown between start and end
    expect(await page.evaluate('window.__same')).toBe(1); // no reload
    expect(Number(await page.locator('body').getAttribute('data-updates'))).toBeGreaterThan(3);
    expect(await page.locator('#job-status').innerText()).toBe('COMPLETED');
    expect(await legend(page, 'COMPLETED')).toBe(24);
    expect(await page.locator('#failed tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await Promise.all(workers.map(exited));
    await page.close();
  });

  test('a SIGKILLed worker\'s batch shows as stale; an allowed reclaim puts it back to PENDING', async () => {
    const jobId = 'orders-2024-q3';
    await seedJob(store, jobId, { batches: 40, batchSize: 10, completed: 22, held: 0 });
    const child = await startWorker(jobId, 'worker-killed', { DASH_HANG: '1' });
    await new Promise<void>((resolve) => child.on('message', (m: { type: string }) => { if (m.type === 'hanging') resolve(); }));
    child.kill('SIGKILL');
    await exited(child);
    const { page, dialogs, errors } = await open(`${armed.url}/job?id=${encodeURIComponent(jobId)}`);
    await page.locator('#workers tr.stale', { hasText: 'worker-killed' }).waitFor({ timeout: STALE_MS * 4 });
    expect(await legend(page, 'STALE')).toBe(1);
    const pendingBefore = await legend(page, 'PENDING');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(IMAGES, 'dashboard-job.png') });
    // Without the token the page's request is refused.
    await page.locator('#reclaim').click();
    await page.locator('#action-result', { hasText: 'Enter the actions token' }).waitFor();
    await page.fill('#token', 'not-the-token-at-all');
    await page.locator('#reclaim').click();
    await page.locator('#action-result', { hasText: 'Refused: 401' }).waitFor();
    expect(await legend(page, 'STALE')).toBe(1);
    await page.fill('#token', TOKEN);
    await page.locator('#reclaim').click();
    await page.locator('#action-result', { hasText: 'Reclaimed 1 batch.' }).waitFor();
    await page.locator('#legend-STALE[data-count="0"]').waitFor();
    expect(await legend(page, 'PENDING')).toBe(pendingBefore + 1);
    expect(await legend(page, 'PROCESSING')).toBe(0);
    expect(dialogs.every((d) => d.startsWith('confirm: '))).toBe(true);
    expect(dialogs).toHaveLength(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('markup in job ids, raw values and messages shows as text and runs nothing; the CSV downloads', async () => {
    await seedJob(store, XSS_JOB, { batches: 4, completed: 2, held: 1 });
    const { page, dialogs, errors } = await open(`${armed.url}/`);
    const link = page.locator('#jobs a', { hasText: XSS_JOB });
    await link.waitFor();
    expect(await link.innerText()).toBe(XSS_JOB);
    await link.click();
    await page.locator('#failed tbody tr[data-index]').first().waitFor();
    expect(await page.locator('#job-id').innerText()).toBe(XSS_JOB);
    expect(await page.locator('#failed tbody').innerText()).toContain(XSS_FIELD);
    expect(await page.locator('#failed img, #jobs img, main script, main b').count()).toBe(0);
    const download = page.waitForEvent('download');
    await page.locator('#download-csv').click();
    const file = await (await download).path();
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv.split('\n')[0]).toBe('index,status,retries,errors,processing_error,name,email,note');
    expect(csv).toContain(XSS_FIELD);
    expect(csv).toContain('"a ""quoted"", value"');
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a read-only dashboard offers no actions and refuses them', async () => {
    const { page } = await open(`${readOnly.url}/job?id=${encodeURIComponent(XSS_JOB)}`);
    await page.locator('#legend-PENDING').waitFor();
    expect(await page.locator('#actions').isHidden()).toBe(true);
    expect(await page.locator('#workers button').count()).toBe(0);
    const status = await page.evaluate(async (token) => (await fetch(`api/job/reclaim?id=${encodeURIComponent('<script>window.__pwned=1</script>')}`, {
      method: 'POST', headers: { 'X-Dashboard-Token': token },
    })).status, TOKEN);
    expect(status).toBe(403);
    await page.close();
    const jobs = await open(`${readOnly.url}/`);
    await jobs.page.locator('#jobs tbody tr a').nth(2).waitFor();
    await jobs.page.setViewportSize({ width: 1280, height: 420 });
    await jobs.page.screenshot({ path: path.join(IMAGES, 'dashboard-jobs.png') });
    await jobs.page.close();
  });
});
