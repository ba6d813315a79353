const { NEEDS } = require('./test/helpers/needs');

/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // JEST_LEAVE_OUT: more path patterns to leave out, space-separated (a command-line
  // --testPathIgnorePatterns would replace these instead of adding to them).
  testPathIgnorePatterns: [
    '/node_modules/',
    ...NEEDS.filter(([, , ok]) => !ok).map(([file]) => `<rootDir>/${file}`),
    ...(process.env.JEST_LEAVE_OUT ?? '').split(/\s+/).filter(Boolean),
  ],
  setupFiles: ['reflect-metadata'],
  // Database suites share servers: run files one at a time so that timing-
  // sensitive concurrency tests do not starve each other on 2 cores.
  maxWorkers: 1,
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
};
