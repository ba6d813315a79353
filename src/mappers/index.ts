export { BatchMapper, type BatchRow, type StoredBatch } from './BatchMapper';
export { JobMapper, type JobRow, type StoredJob } from './JobMapper';
export { RecordMapper, type RecordRow, type StoredRecord } from './RecordMapper';
