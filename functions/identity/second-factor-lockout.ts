import { z } from 'zod';
import { RateLimitedError } from '../kernel/errors';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';

/**
 * Wrong second-factor codes, counted per account (not per client address, which an attacker has
 * many of), with an exponential lockout of the second step (docs/identity.md, "Second-factor lockout").
 *
 * Every check of a code first reserves an attempt: one conditional update adds 1 to `failures`,
 * and holds only while fewer than `allowed` failures are counted (`LOCKOUT_THRESHOLD` at first) and
 * no lockout is running. A right code clears the record; a wrong one leaves its count, and from the
 * fifth on locks the step for 1 minute, doubling with each further failure (up to a day), after
 * which one more attempt is allowed. Because the reservation comes before the code is looked at,
 * parallel guesses cannot outrun the count: at most `LOCKOUT_THRESHOLD` codes are ever checked
 * before the first lockout, and one per lockout after it.
 */

export const LOCKOUT_THRESHOLD = 5;
const FIRST_LOCKOUT_SECONDS = 60;
const MAX_LOCKOUT_SECONDS = 24 * 3600;
/** Failures are forgotten a day after the last one (TTL), and at once after a right code. */
const FAILURE_MEMORY_SECONDS = 24 * 3600;

/** How long the second step stays locked after the `failures`-th wrong code in a row (0: not locked). */
export function lockoutSecondsAfter(failures: number): number {
  if (failures < LOCKOUT_THRESHOLD) return 0;
  return Math.min(MAX_LOCKOUT_SECONDS, FIRST_LOCKOUT_SECONDS * 2 ** Math.min(failures - LOCKOUT_THRESHOLD, 20));
}

const FailureRecord = z.object({
  failures: z.number().int(),
  /** Attempts are reserved while `failures` is below this (absent: `LOCKOUT_THRESHOLD`). */
  allowed: z.number().int().optional(),
  /** Epoch seconds until which no code is checked. */
  lockedUntil: z.number().optional(),
});

const SecondFactorFailures = defineEntity({ name: 'second-factor failures', schema: FailureRecord, key: Keys.secondFactorFailures });

/** The second step is locked for this account: a 429 that says for how long. */
export class SecondFactorLockedError extends RateLimitedError {
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many wrong codes: two-factor checks for this account are paused');
  }
}

const seconds = (now: Date) => Math.floor(now.getTime() / 1000);

/** An attempt may be made: no lockout running, and fewer failures counted than allowed. */
const mayAttempt = (nowSeconds: number) =>
  Conditions.all(
    Conditions.any(Conditions.attributeAbsent('lockedUntil'), Conditions.attributeAtMost('lockedUntil', nowSeconds)),
    Conditions.any(
      Conditions.attributeAbsent('failures'),
      Conditions.all(Conditions.attributeAbsent('allowed'), Conditions.attributeBelow('failures', LOCKOUT_THRESHOLD)),
      Conditions.all(Conditions.attributePresent('allowed'), Conditions.attributeBelowAttribute('failures', 'allowed')),
    ),
  );

/**
 * Reserves one attempt at a code for `userId`, counted as a failure until `clearFailuresWrite`
 * commits. @returns the number of failures this attempt makes if its code is wrong.
 * @throws SecondFactorLockedError while the account's second step is locked.
 */
export async function reserveAttempt(table: Table, userId: string, now: Date): Promise<number> {
  const nowSeconds = seconds(now);
  const outcome = await table.updateItem(
    Keys.secondFactorFailures(userId),
    { add: { failures: 1 }, set: { expiresAt: nowSeconds + FAILURE_MEMORY_SECONDS } },
    { when: mayAttempt(nowSeconds) },
  );
  if ('updated' in outcome) return FailureRecord.shape.failures.parse(outcome.updated.failures);
  const stored = FailureRecord.partial().safeParse(outcome.stored ?? {});
  const lockedUntil = stored.success ? stored.data.lockedUntil : undefined;
  // A lockout being written by a concurrent failure has no end yet: a second is the honest answer.
  throw new SecondFactorLockedError(lockedUntil !== undefined && lockedUntil > nowSeconds ? lockedUntil - nowSeconds : 1);
}

/**
 * After a wrong code: locks the second step when `failures` (what `reserveAttempt` answered) has
 * reached the threshold. @returns the lockout in seconds, 0 when none began.
 */
export async function lockIfDue(table: Table, userId: string, failures: number, now: Date): Promise<number> {
  const lockedFor = lockoutSecondsAfter(failures);
  if (lockedFor === 0) return 0;
  const outcome = await table.updateItem(
    Keys.secondFactorFailures(userId),
    { set: { lockedUntil: seconds(now) + lockedFor, allowed: failures + 1, expiresAt: seconds(now) + lockedFor + FAILURE_MEMORY_SECONDS } },
    // A right code given meanwhile cleared the count: then there is nothing to lock.
    { when: Conditions.exists },
  );
  return 'updated' in outcome ? lockedFor : 0;
}

/** The write that forgets the account's failures: committed with whatever a right code unlocks. */
export const clearFailuresWrite = (userId: string): TransactWrite => SecondFactorFailures.at(userId).delete();
