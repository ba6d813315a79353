/** The `dashboard` command: serves the web dashboard until Ctrl-C. */
import type { Command } from 'commander';
import { oneLine } from '../connect';
import type { CommandRegistration } from '../context';
import { CliError } from '../errors';
import { parseDuration, parseInteger } from '../format';

/** `dashboard`: the web dashboard on a local port (read-only unless actions are allowed with a token). */
export const dashboardCommand: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('dashboard', 'serve the web dashboard (jobs, live job pages, /metrics) until Ctrl-C')
    .option('--port <n>', 'TCP port (0: any free one)', (v) => parseInteger(v, '--port', 0, 65535), 4100)
    .option('--host <host>', 'interface to bind; the default serves this machine only', '127.0.0.1')
    .option('--base-path <path>', 'serve under this path, e.g. /imports', '')
    .option('--stale-ms <duration>', 'a lease older than this shows as stale and is what reclaim takes back (e.g. 60s, 15m)',
      (v) => parseDuration(v, '--stale-ms'), 60_000)
    .option('--allow-actions', 'allow reclaim, release and purge from the page (needs --token)')
    .option('--token <token>', 'the actions token, at least 16 characters (default: $DASHBOARD_TOKEN)')
    .action(async (o: { port: number; host: string; basePath: string; staleMs: number; allowActions?: boolean; token?: string }, cmd: Command) => {
      const token = o.token ?? io.env.DASHBOARD_TOKEN;
      if (o.allowActions && (!token || token.length < 16)) {
        throw new CliError('--allow-actions needs --token (at least 16 characters) or $DASHBOARD_TOKEN', 2);
      }
      if (!o.allowActions && o.token !== undefined) throw new CliError('--token is only used with --allow-actions', 2);
      await open(globals(cmd), true, async ({ store }) => {
        const { serveDashboard } = await import('../../dashboard'); // loaded by this command only
        let served: Awaited<ReturnType<typeof serveDashboard>>;
        try {
          served = await serveDashboard(store, {
            port: o.port, host: o.host, basePath: o.basePath, staleAfterMs: o.staleMs,
            ...(o.allowActions ? { actions: { token: token as string } } : {}),
          });
        } catch (error) {
          throw new CliError(`cannot serve the dashboard on ${o.host}:${o.port}: ${oneLine(error)}`, error instanceof TypeError ? 2 : 1);
        }
        io.out(`Dashboard: ${served.url} (${o.allowActions ? 'actions allowed' : 'read-only'}). Press Ctrl-C to stop.\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await served.close();
        io.out('Dashboard stopped.\n');
      });
      setCode(0);
    });
};

