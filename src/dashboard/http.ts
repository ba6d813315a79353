/**
 * Responses: the security headers every answer carries, JSON and text
 * bodies, and how a store error becomes a status code.
 */
import type { IncomingMessage, ServerResponse } from 'http';

/** A request as Node gives it, with what Express/Nest/middie may add. */
export type DashboardRequest = IncomingMessage & { originalUrl?: string };

/** What the handler writes to: Node's `ServerResponse` (Express's and Nest's are one). */
export type DashboardResponse = ServerResponse;

/**
 * The Content-Security-Policy of every answer: scripts, styles and
 * connections only from the dashboard itself, no inline script or style
 * markup, no plugins, no framing, no `<base>`, forms only to itself.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/** An answer with a status and a one-line message (API: `{ "error": … }`). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Sets the headers every answer carries. */
export function securityHeaders(res: DashboardResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** Ends the response with `body`, unless it was already ended (client gone). */
export function send(res: DashboardResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  res.statusCode = status;
  securityHeaders(res);
  res.setHeader('Content-Type', type);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(body);
}

/** A JSON answer that is never cached. */
export function sendJson(res: DashboardResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), { 'Cache-Control': 'no-store', ...headers });
}

/** A message on one line, at most 300 characters. */
export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * The status for an error: 400 for bad input, 404 for an unknown job or
 * batch, 503 when the database failed, else 500. By the error's name, so
 * that errors of either build (CommonJS or ESM) of the store map alike.
 */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  switch ((error as { name?: unknown } | null)?.name) {
    case 'InvalidInputError': return 400;
    case 'NotFoundError': return 404;
    case 'PersistenceError':
    case 'DriverError':
    case 'ConnectionError':
    case 'SequelizeConnectionError':
    case 'SequelizeConnectionRefusedError':
    case 'SequelizeConnectionAcquireTimeoutError':
    case 'SequelizeHostNotReachableError':
    case 'SequelizeHostNotFoundError':
      return 503;
    default: return 500;
  }
}

/** The one-line message an error answers with; a 500 says nothing of its cause. */
export function messageOf(error: unknown, status: number): string {
  if (status === 500) return 'internal error';
  const message = error instanceof Error ? error.message : String(error);
  if (status === 503) return oneLine(`database unavailable: ${message}`);
  return oneLine(message);
}

/** Answers an error as JSON (API routes) or text (pages). */
export function sendError(res: DashboardResponse, error: unknown, json: boolean): void {
  const status = statusOf(error);
  const message = messageOf(error, status);
  const headers = { 'Cache-Control': 'no-store', ...(error instanceof HttpError ? error.headers : {}) };
  if (json) sendJson(res, status, { error: message }, headers);
  else send(res, status, 'text/plain; charset=utf-8', `${message}\n`, headers);
}
