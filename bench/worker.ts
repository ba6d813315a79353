/**
 * A claim-and-complete worker process for the 8-process benchmark. The
 * parent forks it, sends `init` (where the database is), waits for `ready`,
 * then sends `go` messages (store or raw mode, which job); the worker loops
 * claim → complete → finalize until nothing is left and answers `done` with
 * how many cycles it ran. Startup is never part of a measurement.
 */
import { RawSql, openRaw, type Location, type RawConnection } from './lib/raw';
import { openStore } from './lib/setup';
import { rawCycle, storeCycle } from './lib/cycles';
import type { SequelizeStateStore } from '../src';

// ts-node installs source-map-support, which makes every `error.stack` read
// map each frame through source maps. Sequelize builds an Error and reads its
// stack on every SQLite query, so under ts-node the store would pay a cost a
// compiled deployment does not. Measure as compiled code runs: V8's own traces.
(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;

type Message =
  | { type: 'init'; location: Location; prefix: string }
  | { type: 'go'; mode: 'store' | 'raw'; jobId: string; workerId: string }
  | { type: 'exit' };

let store: SequelizeStateStore | undefined;
let close: (() => Promise<void>) | undefined;
let raw: RawConnection | undefined;
let sql: RawSql | undefined;

function send(message: unknown): void {
  process.send?.(message);
}

process.on('message', (message: Message) => {
  void (async () => {
    try {
      if (message.type === 'init') {
        const opened = await openStore(message.location, message.prefix, {}, false);
        store = opened.store;
        close = () => opened.sequelize.close();
        raw = await openRaw(message.location);
        sql = new RawSql(raw.dialect, store.tables);
        // Warm both paths' connections.
        await store.getDistributedStatus('warmup');
        await raw.rows(sql.countBatches(), ['warmup']);
        send({ type: 'ready' });
      } else if (message.type === 'go') {
        let cycles = 0;
        const cpu = process.cpuUsage();
        const start = process.hrtime.bigint();
        if (message.mode === 'store') {
          while (await storeCycle(store as SequelizeStateStore, message.jobId, message.workerId)) cycles++;
        } else {
          while (await rawCycle(raw as RawConnection, sql as RawSql, message.jobId, message.workerId)) cycles++;
        }
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const used = process.cpuUsage(cpu);
        send({ type: 'done', cycles, ms, cpuUs: used.user + used.system });
      } else if (message.type === 'exit') {
        await raw?.close();
        await close?.();
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
    }
  })();
});
