import { describe, expect, it } from 'vitest';
import { LOCKOUT_THRESHOLD, lockoutSecondsAfter } from './second-factor-lockout';

describe('lockoutSecondsAfter', () => {
  it('does not lock below the threshold', () => {
    for (let failures = 0; failures < LOCKOUT_THRESHOLD; failures++) expect(lockoutSecondsAfter(failures), String(failures)).toBe(0);
  });

  it('locks for a minute at the fifth wrong code, doubling with each further one', () => {
    expect(LOCKOUT_THRESHOLD).toBe(5);
    expect([5, 6, 7, 8, 9].map(lockoutSecondsAfter)).toEqual([60, 120, 240, 480, 960]);
  });

  it('never locks for more than a day, however many failures (no overflow to Infinity)', () => {
    expect(lockoutSecondsAfter(16)).toBe(24 * 3600);
    expect(lockoutSecondsAfter(10_000)).toBe(24 * 3600);
  });
});
