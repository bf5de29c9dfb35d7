import { userAuditEntry } from '../kernel/audit/entries';
import { ConflictError, InvalidCredentialsError } from '../kernel/errors';
import { implement, type BoundRoute } from '../kernel/http/implementation';
import { requireUser, updateUserWrite } from './account';
import { checkSecondFactor, factorWrite, loadFactor, openSecret, pendingFactorWrite, removeFactorWrite, underLockout } from './mfa';
import * as routes from './mfa-routes';
import { verifyPassword } from './passwords';
import { generateRecoveryCodes } from './recovery-codes';
import { clearFailuresWrite } from './second-factor-lockout';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp';
import { userKeyRing } from './user-keys';

export const mfaImplementations: readonly BoundRoute[] = [
  implement(routes.startTotp, async ({ body }, ctx) => {
    const user = await requireUser(ctx);
    // The password, not just the access token: a stolen token must not be able to put a factor
    // of the thief's on the account and lock its owner out.
    if (!(await verifyPassword(user.passwordHash, body.password))) throw new InvalidCredentialsError();
    const existing = await loadFactor(ctx.platform.table, user.userId);
    if (existing?.status === 'active') throw new ConflictError('Two-factor authentication is already on; turn it off first.');
    const secret = generateTotpSecret();
    const key = await userKeyRing(ctx.platform).open(user.userId);
    await ctx.platform.table.transact([
      pendingFactorWrite(user.userId, key.seal('totp-secret', secret), new Date(), existing?.version ?? 0, () => new ConflictError('Enrolment changed meanwhile; start again.')),
    ]);
    return { body: { secret, otpauthUri: otpauthUri({ secret, account: key.open('email', user.sealedEmail), issuer: 'Rampart' }) } };
  }),

  implement(routes.activateTotp, async ({ body }, ctx) => {
    const user = await requireUser(ctx);
    const factor = await loadFactor(ctx.platform.table, user.userId);
    if (!factor || factor.status !== 'pending') throw new ConflictError('Start enrolment first (POST /v1/auth/mfa/totp).');
    const now = new Date();
    const secret = await openSecret(ctx, user.userId, factor);
    // Wrong first codes count against the account like any other: the same lockout.
    const step = await underLockout(ctx, user, now, async () => {
      const result = verifyTotp(secret, body.code, { now: now.getTime(), lastUsedStep: factor.lastUsedStep });
      return result.ok ? result.step : undefined;
    });
    const recovery = generateRecoveryCodes();
    await ctx.platform.audit.commit(userAuditEntry(ctx, user.userId, 'user.mfa_enabled', { method: 'totp' }), [
      factorWrite(user.userId, { ...factor, status: 'active', lastUsedStep: step, recoveryCodeHashes: [...recovery.hashes], activatedAt: now.toISOString() }),
      updateUserWrite({ ...user, mfaEnabled: true, updatedAt: now.toISOString() }),
      clearFailuresWrite(user.userId),
    ]);
    return { body: { recoveryCodes: [...recovery.codes] } };
  }),

  implement(routes.disableTotp, async ({ body }, ctx) => {
    const user = await requireUser(ctx);
    const factor = await loadFactor(ctx.platform.table, user.userId);
    if (!factor || factor.status !== 'active') throw new ConflictError('Two-factor authentication is not on.');
    const now = new Date();
    const proof = await checkSecondFactor(ctx, user, body.code, now);
    const fresh = proof.method === 'recovery' ? ((await loadFactor(ctx.platform.table, user.userId)) ?? factor) : factor;
    await ctx.platform.audit.commit(userAuditEntry(ctx, user.userId, 'user.mfa_disabled', { method: 'totp' }), [
      // The factor goes under the version the TOTP code was checked against (a concurrent use of
      // the same factor fails this), or the version a recovery code was just burnt at.
      removeFactorWrite(user.userId, fresh.version),
      updateUserWrite({ ...user, mfaEnabled: false, updatedAt: now.toISOString() }),
      clearFailuresWrite(user.userId),
    ]);
    return { body: {} };
  }),
];
