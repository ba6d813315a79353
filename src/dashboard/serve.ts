/**
 * `serveDashboard`: the dashboard on a plain `http` server of its own, for
 * the CLI's `dashboard` command, the demo, and anyone who wants it beside
 * (not inside) their application.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { SequelizeStateStore } from '../store/SequelizeStateStore';
import { createDashboard, type DashboardHandler } from './handler';
import type { DashboardOptions } from './options';

/** Options of {@link serveDashboard}: the dashboard's, and where to listen. */
export interface ServeDashboardOptions extends DashboardOptions {
  /** TCP port; 0 picks a free one. Default 4100. */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1` (this machine only). */
  readonly host?: string;
}

/** A running dashboard server. */
export interface ServedDashboard {
  /** The dashboard's address, e.g. `http://127.0.0.1:4100/`. */
  readonly url: string;
  readonly server: http.Server;
  readonly handler: DashboardHandler;
  /** Stops accepting connections, ends open ones and waits until the server is closed. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves the dashboard of `store` on its own HTTP server.
 *
 * ```ts
 * const { url, close } = await serveDashboard(store, { port: 4100 });
 * console.log(`Dashboard: ${url}`);
 * process.once('SIGINT', () => void close());
 * ```
 *
 * @throws TypeError for a bad option; the server's error (e.g. `EADDRINUSE`) if it cannot listen.
 */
export async function serveDashboard(store: SequelizeStateStore, options: ServeDashboardOptions = {}): Promise<ServedDashboard> {
  const { port = 4100, host = '127.0.0.1', ...dashboardOptions } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('serveDashboard: options.port must be an integer from 0 to 65535');
  if (typeof host !== 'string' || host === '') throw new TypeError('serveDashboard: options.host must be a host name or address');
  const handler = createDashboard(store, dashboardOptions);
  const server = http.createServer((req, res) => handler(req, res));
  server.keepAliveTimeout = 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    handler.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' || address.family as unknown === 6 ? `[${address.address}]` : address.address;
  const base = (dashboardOptions.basePath ?? '').replace(/\/+$/, '');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}${base}/`,
    server,
    handler,
    close() {
      closing ??= new Promise<void>((resolve) => {
        handler.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
