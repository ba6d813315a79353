/**
 * The bookkeeping that keeps the save cache honest (src/store/jobCache.ts):
 * a batch row two writes changed at the same time is forgotten (their order
 * is unknown), a failed write forgets what it touched, and only writes that
 * landed alone are remembered.
 */
import { ReadJobs, WrittenJobs, slotOf, slotValue, type WrittenBatch, type WrittenJob, type WrittenSlot } from '../../src/store/jobCache';
import type { Batch } from '../../src/ports';

const row = (status: string): WrittenBatch => ({ index: 0, status, processed: 0, failed: 0, start: null, end: null });
const job = (): WrittenJob => {
  const rows = new Map<string, WrittenSlot>();
  return { token: '1:1', distributed: false, order: ['b'], positions: new Map([['b', 0]]), rows, slots: [slotOf(rows, 'b')] };
};
/** What the cache knows of batch `b`, by id; the by-position view must agree. */
const known = (cache: WrittenJobs): WrittenBatch | undefined => {
  const byId = slotValue(cache.get('j')?.rows.get('b'));
  expect(slotValue(cache.get('j')?.slots[0])).toEqual(byId);
  return byId;
};

describe('WrittenJobs', () => {
  test('a write that landed alone is remembered; one that failed is forgotten', () => {
    const cache = new WrittenJobs();
    cache.set('j', job());
    cache.begin('j', ['b']);
    cache.end('j', ['b'], new Map([['b', row('COMPLETED')]]));
    expect(known(cache)?.status).toBe('COMPLETED');
    cache.begin('j', ['b']);
    cache.end('j', ['b']);
    expect(known(cache)).toBeUndefined();
  });

  test('two writes of one row at the same time: the row is forgotten whichever ends last, then remembered again', () => {
    for (const order of [[1, 2], [2, 1]] as const) {
      const cache = new WrittenJobs();
      cache.set('j', job());
      cache.begin('j', ['b']); // a save
      cache.begin('j', ['b']); // a report of the same batch
      const written = { 1: row('PROCESSING'), 2: row('COMPLETED') };
      cache.end('j', ['b'], new Map([['b', written[order[0]]]]));
      expect(known(cache)).toBeUndefined();
      cache.end('j', ['b'], new Map([['b', written[order[1]]]]));
      expect(known(cache)).toBeUndefined();
      cache.begin('j', ['b']);
      cache.end('j', ['b'], new Map([['b', row('COMPLETED')]]));
      expect(known(cache)?.status).toBe('COMPLETED');
    }
  });
});

describe('ReadJobs', () => {
  const batch = (id: string, status: Batch['status']): Batch => ({ id, index: 0, status, records: [], processedCount: 0, failedCount: 0 });

  test('a read that started before this store wrote the job is not kept', () => {
    const cache = new ReadJobs(1000);
    const started = cache.startRead();
    cache.patch('j', 'b', (b) => b); // a write lands while the read is in flight
    cache.keep('j', 't', [batch('b', 'PENDING')], Date.now(), started);
    expect(cache.batches('j', 't', Date.now())).toBeUndefined();
    const again = cache.startRead();
    cache.keep('j', 't', [batch('b', 'PENDING')], Date.now(), again);
    expect(cache.batches('j', 't', Date.now())?.map((b) => b.status)).toEqual(['PENDING']);
  });

  test('the copy is for one job row and lives jobStateCacheMs; own writes are applied; copies are frozen', () => {
    const cache = new ReadJobs(1000);
    const now = Date.now();
    cache.keep('j', 't', [batch('b', 'PENDING')], now, cache.startRead());
    expect(cache.batches('j', 'other-token', now)).toBeUndefined();
    expect(cache.batches('j', 't', now + 1000)).toBeUndefined();
    cache.patch('j', 'b', (b) => ({ ...b, status: 'PROCESSING', workerId: 'w' }));
    const [b] = cache.batches('j', 't', now + 10) ?? [];
    expect(b).toMatchObject({ status: 'PROCESSING', workerId: 'w' });
    expect(Object.isFrozen(b)).toBe(true);
    cache.patch('j', 'unknown', (x) => x);
    expect(cache.batches('j', 't', now + 10)).toBeUndefined();
  });

  test('jobStateCacheMs 0 keeps nothing', () => {
    const cache = new ReadJobs(0);
    cache.keep('j', 't', [batch('b', 'PENDING')], Date.now(), cache.startRead());
    expect(cache.batches('j', 't', Date.now())).toBeUndefined();
  });
});
