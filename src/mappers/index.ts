export { BatchMapper, BATCH_WRITE_KEYS, type BatchRow, type StoredBatch } from './BatchMapper';
export { JobMapper, JOB_WRITE_KEYS, type JobRow, type StoredJob } from './JobMapper';
export { RecordMapper, RECORD_WRITE_KEYS, type RecordRow, type StoredRecord } from './RecordMapper';
export { valuesOf, type AsRead, type Narrowed, type Read } from './rows';
