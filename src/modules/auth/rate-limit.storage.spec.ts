import type { ThrottlerStorage } from '@nestjs/throttler';
import { FallbackThrottlerStorage, LocalThrottlerStorage } from './rate-limit.storage';

describe(LocalThrottlerStorage.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const hit = (s: LocalThrottlerStorage, key = 'k') => s.increment(key, 10_000, 2, 5_000, 'default');

  it('counts hits in a window and blocks the one past the limit, for the block duration', async () => {
    const s = new LocalThrottlerStorage();
    expect(await hit(s)).toEqual({ totalHits: 1, timeToExpire: 10, isBlocked: false, timeToBlockExpire: 0 });
    expect((await hit(s)).isBlocked).toBe(false);
    expect(await hit(s)).toEqual({ totalHits: 3, timeToExpire: 10, isBlocked: true, timeToBlockExpire: 5 });
    jest.advanceTimersByTime(4_000);
    expect(await hit(s)).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
  });

  it('starts a new window once the last one ended, and counts keys apart', async () => {
    const s = new LocalThrottlerStorage();
    await hit(s);
    await hit(s);
    expect((await hit(s, 'other')).totalHits).toBe(1);
    jest.advanceTimersByTime(10_000);
    expect(await hit(s)).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});

describe(FallbackThrottlerStorage.name, () => {
  const record = { totalHits: 7, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 };

  it('counts in Redis while it answers', async () => {
    const shared: ThrottlerStorage = { increment: jest.fn().mockResolvedValue(record) };
    expect(await new FallbackThrottlerStorage(shared).increment('k', 1000, 5, 1000, 'default')).toBe(record);
  });

  it('counts in this instance, still blocking past the limit, when Redis fails', async () => {
    const shared: ThrottlerStorage = { increment: jest.fn().mockRejectedValue(new Error('connection is closed')) };
    const storage = new FallbackThrottlerStorage(shared);
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await storage.increment('k', 60_000, 2, 60_000, 'default')).isBlocked);
    expect(seen).toEqual([false, false, true]);
    expect(shared.increment).toHaveBeenCalledTimes(1); // then left alone for a second
  });
});
