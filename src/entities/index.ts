import { BatchEntity } from './BatchEntity';
import { JobEntity } from './JobEntity';
import { RecordEntity } from './RecordEntity';

export { BatchEntity, BATCHES_TABLE } from './BatchEntity';
export { JobEntity, JOBS_TABLE } from './JobEntity';
export { RecordEntity, RECORDS_TABLE } from './RecordEntity';
export { Version } from './Version';

/**
 * The entity classes, for `SequelizeModule.forRoot({ models: STATE_ENTITIES })`
 * or `sequelize.addModels(STATE_ENTITIES)`.
 */
export const STATE_ENTITIES = [JobEntity, BatchEntity, RecordEntity] as const;
