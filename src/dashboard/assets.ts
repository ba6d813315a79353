/**
 * The pages' static files: the dashboard's own scripts and style sheet
 * (plain files in `assets/` next to this module, copied there by the build)
 * and uPlot's, from the `uplot` package. Read once, when the dashboard is
 * created, and served from memory with an ETag.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { moduleDir, requireHere } from './runtime';

/** One file the pages load. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The dashboard's own files, in `assets/`. */
export const OWN_ASSETS = ['dashboard.css', 'common.js', 'jobs.js', 'job.js', 'jobmap.js'] as const;

/** uPlot's files, by the name the pages use. */
export const UPLOT_ASSETS: Readonly<Record<string, string>> = {
  'uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

let cache: Map<string, Asset> | undefined;

function asset(file: string): Asset {
  const body = fs.readFileSync(file);
  return {
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/**
 * Every asset by name, read on the first call.
 * @throws Error naming a file that is missing (a broken install or build).
 */
export function loadAssets(): ReadonlyMap<string, Asset> {
  if (cache) return cache;
  const out = new Map<string, Asset>();
  const dir = path.join(moduleDir, 'assets');
  for (const name of OWN_ASSETS) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`dashboard: asset ${file} is missing (was the package built with scripts/build.js?)`);
    out.set(name, asset(file));
  }
  for (const [name, spec] of Object.entries(UPLOT_ASSETS)) {
    let file: string;
    try {
      file = requireHere.resolve(spec);
    } catch {
      throw new Error(`dashboard: cannot find ${spec} (the uplot package is a dependency of @batchactions/state-sequelize)`);
    }
    out.set(name, asset(file));
  }
  cache = out;
  return out;
}
