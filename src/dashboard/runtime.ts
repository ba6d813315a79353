/**
 * Where the dashboard's files are, and a `require` that resolves from here.
 *
 * In the CommonJS build (dist/), under ts-jest and ts-node this is Node's own
 * `__dirname` and `require`. The ESM build (dist/esm/) has neither and the
 * CommonJS build cannot contain `import.meta`, so scripts/build.js replaces
 * the emitted dist/esm/dashboard/runtime.js with the `import.meta.url`
 * equivalent (see `ESM_RUNTIME` there). Keep the two exports in step.
 */

/** The directory of this module: `src/dashboard`, `dist/dashboard` or `dist/esm/dashboard`. */
export const moduleDir: string = __dirname;

/** `require` relative to this module (optional peers, uPlot's files). */
export const requireHere: NodeJS.Require = require;
