import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HEALTHY_MS, keepSubscribed } from './resubscribe';

describe('keepSubscribed', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // A fake subscription: records starts, hands out its restart function.
  function fake() {
    const starts: number[] = [];
    const disposed: number[] = [];
    let restart: (failed: boolean) => void = () => {};
    const stop = keepSubscribed((r) => {
      const n = starts.length;
      starts.push(Date.now());
      restart = r;
      return () => disposed.push(n);
    });
    return { starts, disposed, stop, end: (failed = false) => restart(failed) };
  }

  it('starts at once and again soon after the stream ends', () => {
    const s = fake();
    expect(s.starts).toHaveLength(1);
    s.end();
    expect(s.disposed).toEqual([0]);
    vi.advanceTimersByTime(249);
    expect(s.starts).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(s.starts).toHaveLength(2);
  });

  it('backs off while streams keep ending early, up to 5 s', () => {
    const s = fake();
    const gaps: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = Date.now();
      s.end();
      vi.advanceTimersToNextTimer();
      gaps.push(Date.now() - before);
    }
    expect(gaps).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('waits at least a second after a failure, and starts over after a healthy stream', () => {
    const s = fake();
    s.end(true);
    vi.advanceTimersByTime(999);
    expect(s.starts).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(s.starts).toHaveLength(2);
    s.end();
    vi.advanceTimersToNextTimer(); // 2 s now
    vi.advanceTimersByTime(HEALTHY_MS);
    const before = Date.now();
    s.end();
    vi.advanceTimersToNextTimer();
    expect(Date.now() - before).toBe(250);
  });

  it('stops for good', () => {
    const s = fake();
    s.stop();
    expect(s.disposed).toEqual([0]);
    s.end();
    vi.advanceTimersByTime(60_000);
    expect(s.starts).toHaveLength(1);
  });
});
