/**
 * The guards of the actions: the token, and that a browser's request comes
 * from the dashboard's own page (same origin), not from another site.
 */
import { createHash, timingSafeEqual } from 'crypto';
import { HttpError, type DashboardRequest } from './http';

/** The header that carries the actions token (or `Authorization: Bearer <token>`). */
export const TOKEN_HEADER = 'x-dashboard-token';

function header(req: DashboardRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The token a request carries, if any. */
export function requestToken(req: DashboardRequest): string | undefined {
  const direct = header(req, TOKEN_HEADER);
  if (direct) return direct;
  const auth = header(req, 'authorization');
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m ? (m[1] as string).trim() : undefined;
}

/** Compares two secrets in time independent of where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Whether a request may change anything: actions on, POST, the right token,
 * and (for a browser) the same origin.
 * @throws HttpError 405 (not POST), 403 (actions off, origin not allowed) or 401 (no or wrong token).
 */
export function checkAction(req: DashboardRequest, token: string | undefined, allowedOrigins: readonly string[]): void {
  if (req.method !== 'POST') throw new HttpError(405, 'actions need POST', { Allow: 'POST' });
  if (token === undefined) throw new HttpError(403, 'actions are disabled (start the dashboard with actions: { token })');
  checkSameOrigin(req, allowedOrigins);
  const given = requestToken(req);
  if (!given || !sameSecret(given, token)) throw new HttpError(401, 'a valid actions token is required');
}

/**
 * A browser always says where a POST comes from (`Origin`, and
 * `Sec-Fetch-Site`); it must be this host or an allowed origin. A client that
 * sends neither is not a browser (curl, scripts) and needs the token anyway.
 * @throws HttpError 403 for a cross-origin request.
 */
export function checkSameOrigin(req: DashboardRequest, allowedOrigins: readonly string[]): void {
  const origin = header(req, 'origin');
  const site = header(req, 'sec-fetch-site');
  if (origin !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    const host = header(req, 'host');
    if (url && ((host !== undefined && url.host === host.toLowerCase()) || allowedOrigins.includes(url.origin))) return;
    throw new HttpError(403, 'cross-origin request refused');
  }
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'cross-origin request refused');
}
