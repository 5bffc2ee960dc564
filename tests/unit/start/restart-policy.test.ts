/** The restart policy of `npm start` (scripts/restart-policy.ts), on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { MAX_QUICK_DEATHS, RestartPolicy, STABLE_MS } from '../../../scripts/restart-policy';

describe('RestartPolicy', () => {
  it('doubles the pause with each quick death and gives up after MAX_QUICK_DEATHS in a row', () => {
    let now = 1_000_000;
    const p = new RestartPolicy(() => now);
    const pauses: (number | null)[] = [];
    for (let i = 0; i < MAX_QUICK_DEATHS; i++) {
      p.started();
      now += 2_000;
      pauses.push(p.died());
      now += pauses.at(-1) ?? 0;
    }
    expect(pauses).toEqual([1000, 2000, 4000, 8000, null]);
  });

  it('a child that ran for STABLE_MS starts the count anew', () => {
    let now = 0;
    const p = new RestartPolicy(() => now);
    for (let i = 0; i < MAX_QUICK_DEATHS - 1; i++) {
      p.started();
      now += 10;
      p.died();
    }
    p.started();
    now += STABLE_MS;
    expect(p.died()).toBe(1000);
    const q = new RestartPolicy(() => now);
    // Deaths that are each quick but never MAX_QUICK_DEATHS in a row never give up.
    q.started();
    now += 1;
    expect(q.died()).toBe(1000);
    q.started();
    now += STABLE_MS + 1;
    expect(q.died()).toBe(1000);
  });
});
