/**
 * Worker processes of the 8-process claim measurement (bench/worker.ts),
 * forked and connected before any clock starts.
 */
import { fork, type ChildProcess } from 'child_process';
import * as path from 'path';
import type { Location } from './raw';

/** A forked worker, connected and waiting. */
export interface Worker {
  /** Runs the loop; how many cycles it ran and the CPU time it used (µs). */
  go(mode: 'store' | 'raw', jobId: string, workerId: string): Promise<{ cycles: number; cpuUs: number }>;
  exit(): Promise<void>;
}

/** Forks `n` workers on `location`, tables under `prefix`; resolves when all are connected. */
export async function startWorkers(location: Location, prefix: string, n: number): Promise<Worker[]> {
  const script = path.join(__dirname, '..', 'worker.ts');
  const spawn = (): Promise<Worker> => new Promise((resolve, reject) => {
    const child: ChildProcess = fork(script, [], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let pending: { resolve: (n: { cycles: number; cpuUs: number }) => void; reject: (e: Error) => void } | undefined;
    child.on('message', (m: { type: string; cycles?: number; cpuUs?: number; message?: string }) => {
      if (m.type === 'ready') {
        resolve({
          go: (mode, jobId, workerId) => new Promise((res, rej) => {
            pending = { resolve: res, reject: rej };
            child.send({ type: 'go', mode, jobId, workerId });
          }),
          exit: () => new Promise<void>((res) => {
            child.once('exit', () => res());
            child.send({ type: 'exit' });
          }),
        });
      } else if (m.type === 'done') {
        pending?.resolve({ cycles: m.cycles as number, cpuUs: m.cpuUs as number });
      } else if (m.type === 'error') {
        const error = new Error(`worker: ${m.message}`);
        if (pending) pending.reject(error);
        else reject(error);
      }
    });
    child.on('error', reject);
    child.send({ type: 'init', location, prefix });
  });
  return Promise.all(Array.from({ length: n }, spawn));
}
