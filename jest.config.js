/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['reflect-metadata'],
  // Database suites share servers: run files one at a time so that timing-
  // sensitive concurrency tests do not starve each other on 2 cores.
  maxWorkers: 1,
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
};
