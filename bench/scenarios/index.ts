/** Every scenario of `npm run bench`, in the order a run takes them. */
import { counters } from './counters';
import { cycle } from './cycle';
import { cycle8 } from './cycle8';
import { dashboard } from './dashboard';
import { engineSingle } from './engineSingle';
import { engineWorker } from './engineWorker';
import { importScenario } from './import';
import { memory } from './memory';
import { reads } from './reads';
import { saveBatchRecords } from './saveBatchRecords';
import { saveProcessedRecord } from './saveProcessedRecord';
import { sequelizeQuery } from './sequelizeQuery';
import { statementCaches } from './statementCaches';
import type { Scenario } from './scenario';

export type { Scenario } from './scenario';

export const SCENARIOS: readonly Scenario[] = [
  saveProcessedRecord,
  saveBatchRecords,
  cycle,
  cycle8,
  counters,
  sequelizeQuery,
  reads,
  importScenario,
  memory,
  statementCaches,
  engineSingle,
  engineWorker,
  dashboard,
];
