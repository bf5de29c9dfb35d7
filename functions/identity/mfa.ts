import { z } from 'zod';
import type { UserRecord } from '../kernel/accounts/user-record';
import { userAuditEntry } from '../kernel/audit/entries';
import { InvalidMfaCodeError } from '../kernel/errors';
import type { AnyRouteContext } from '../kernel/http/implementation';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';
import { sendNotice } from '../kernel/mail/send';
import { piiOf } from './account';
import { Mail } from './mail-templates';
import { verifyRecoveryCode } from './recovery-codes';
import { clearFailuresWrite, lockIfDue, reserveAttempt } from './second-factor-lockout';
import { verifyTotp } from './totp';
import { userKeyRing } from './user-keys';

/** A TOTP code, or a recovery code, as a second factor is given. */
export const TotpOrRecoveryCode = z.string().trim().min(6).max(32);
/** Authenticator apps show codes as `123 456`: spaces are not part of the code. */
export const TotpCode = z
  .string()
  .max(16)
  .transform((code) => code.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'A 6-digit code.'));

/**
 * The TOTP factor of a user. The secret is sealed under the user's data key (field `totp-secret`),
 * so deleting the account shreds it with the rest; recovery codes are stored hashed, and a used one
 * is removed.
 */
const TotpFactor = z.object({
  status: z.enum(['pending', 'active']),
  sealedSecret: z.string(),
  lastUsedStep: z.number().optional(),
  recoveryCodeHashes: z.array(z.string()),
  createdAt: z.string(),
  activatedAt: z.string().optional(),
  version: z.number(),
});
export type TotpFactor = z.output<typeof TotpFactor>;

const TotpFactors = defineEntity({ name: 'TOTP factor', schema: TotpFactor, key: Keys.totp });

const SIX_DIGITS = /^\d{6}$/;

export const loadFactor = (table: Table, userId: string): Promise<TotpFactor | undefined> => table.read(TotpFactors.at(userId));

/** Replaces the factor under the version it was read at: a code checked against it is burnt at most once. */
export const factorWrite = (userId: string, factor: TotpFactor): TransactWrite => TotpFactors.at(userId).replace(factor, () => new InvalidMfaCodeError());

/** A new, pending enrolment, replacing an unfinished one (`expectedVersion`: 0 when there is none). */
export const pendingFactorWrite = (userId: string, sealedSecret: string, now: Date, expectedVersion: number, onConditionFailed: () => Error): TransactWrite =>
  TotpFactors.at(userId).putVersioned({ status: 'pending', sealedSecret, recoveryCodeHashes: [], createdAt: now.toISOString() }, expectedVersion, onConditionFailed);

/** Removes the factor; at `version` only, when given (a concurrent use of the factor fails it). */
export const removeFactorWrite = (userId: string, version?: number): TransactWrite =>
  TotpFactors.at(userId).delete(version === undefined ? {} : { when: Conditions.versionIs(version), onConditionFailed: () => new InvalidMfaCodeError() });

export async function openSecret(ctx: AnyRouteContext, userId: string, factor: TotpFactor): Promise<string> {
  return (await userKeyRing(ctx.platform).open(userId)).open('totp-secret', factor.sealedSecret);
}

/**
 * Checks a code under the account's second-factor lockout (`second-factor-lockout.ts`): `check`
 * answers what a right code unlocks, or undefined for a wrong one. A wrong code counts against the
 * account; the one that trips a lockout is recorded in the person's audit chain and mailed to
 * them. The caller commits `clearFailuresWrite(user.userId)` with what a right code unlocks.
 * @throws InvalidMfaCodeError for a wrong code, SecondFactorLockedError (429) while locked.
 */
export async function underLockout<T>(ctx: AnyRouteContext, user: UserRecord, now: Date, check: () => Promise<T | undefined>): Promise<T> {
  const failures = await reserveAttempt(ctx.platform.table, user.userId, now);
  const unlocked = await check();
  if (unlocked !== undefined) return unlocked;
  const lockedForSeconds = await lockIfDue(ctx.platform.table, user.userId, failures, now);
  if (lockedForSeconds > 0) {
    await ctx.platform.audit.commit(userAuditEntry(ctx, user.userId, 'user.mfa_locked', { failures, lockedForSeconds }, { outcome: 'denied' }));
    const { email } = await piiOf(ctx, user);
    await sendNotice(ctx.platform, ctx.logger, Mail.secondFactorLocked(email, lockedForSeconds));
  }
  throw new InvalidMfaCodeError();
}

/**
 * Checks a second factor (a TOTP code, or a recovery code) under the account's lockout and returns
 * the writes that burn it: the step becomes `lastUsedStep`, a recovery code is removed, the
 * failure count is cleared. The caller commits them with whatever the factor unlocks, under the
 * factor's version, so a code can never be used twice, even concurrently.
 * @throws InvalidMfaCodeError, SecondFactorLockedError
 */
export async function checkSecondFactor(ctx: AnyRouteContext, user: UserRecord, code: string, now: Date) {
  const factor = await loadFactor(ctx.platform.table, user.userId);
  if (!factor || factor.status !== 'active') throw new InvalidMfaCodeError();
  return underLockout(ctx, user, now, async () => {
    const trimmed = code.trim();
    const digits = trimmed.replace(/\s+/g, '');
    if (SIX_DIGITS.test(digits)) {
      const result = verifyTotp(await openSecret(ctx, user.userId, factor), digits, { now: now.getTime(), lastUsedStep: factor.lastUsedStep });
      if (!result.ok) return undefined;
      return { method: 'totp' as const, writes: [factorWrite(user.userId, { ...factor, lastUsedStep: result.step }), clearFailuresWrite(user.userId)] };
    }
    const recovery = verifyRecoveryCode(trimmed, factor.recoveryCodeHashes);
    if (!recovery.ok) return undefined;
    const remaining = factor.recoveryCodeHashes.filter((_, i) => i !== recovery.index);
    // Audited on its own: the person should see in their log that a recovery code went.
    await ctx.platform.audit.commit(userAuditEntry(ctx, user.userId, 'user.recovery_code_used', { remaining: remaining.length }), [
      factorWrite(user.userId, { ...factor, recoveryCodeHashes: remaining }),
      clearFailuresWrite(user.userId),
    ]);
    return { method: 'recovery' as const, writes: [] as TransactWrite[] };
  });
}
