import { z } from 'zod';
import { ConflictError, InvalidMfaCodeError } from '../kernel/errors';
import { implement, type AnyRouteContext } from '../kernel/http/implementation';
import { Keys } from '../kernel/storage/keys';
import { Writes, type TransactWrite } from '../kernel/storage/writes';
import { requireUser } from './account';
import { actorOf } from './context';
import { generateRecoveryCodes, verifyRecoveryCode } from './recovery-codes';
import * as routes from './routes';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp';
import { userKeyRing } from './user-keys';
import { updateUserWrite, type UserRecord } from './users';

/**
 * The TOTP factor of a user, at `USER#<userId>` / `MFA#TOTP`. The secret is sealed under the user's
 * data key (field `totp-secret`), so deleting the account shreds it with the rest; recovery codes
 * are stored hashed, and a used one is removed.
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
type TotpFactor = z.output<typeof TotpFactor>;

const SIX_DIGITS = /^\d{6}$/;

function factorWrite(userId: string, factor: TotpFactor): TransactWrite {
  const { version, ...rest } = factor;
  return Writes.putVersioned({ ...Keys.totp(userId), ...rest }, version, () => new InvalidMfaCodeError());
}

async function loadFactor(ctx: AnyRouteContext, userId: string): Promise<TotpFactor | undefined> {
  return ctx.platform.table.get(Keys.totp(userId), TotpFactor, { consistent: true });
}

async function openSecret(ctx: AnyRouteContext, userId: string, factor: TotpFactor): Promise<string> {
  return (await userKeyRing(ctx.platform).open(userId)).open('totp-secret', factor.sealedSecret);
}

/**
 * Checks a second factor (a TOTP code, or a recovery code) and returns the writes that burn it: the
 * step becomes `lastUsedStep`, a recovery code is removed. The caller commits them with whatever the
 * factor unlocks, under the factor's version, so a code can never be used twice, even concurrently.
 * @throws InvalidMfaCodeError
 */
export async function checkSecondFactor(ctx: AnyRouteContext, user: UserRecord, code: string, now: Date) {
  const factor = await loadFactor(ctx, user.userId);
  if (!factor || factor.status !== 'active') throw new InvalidMfaCodeError();
  const trimmed = code.trim();
  const digits = trimmed.replace(/\s+/g, '');
  if (SIX_DIGITS.test(digits)) {
    const result = verifyTotp(await openSecret(ctx, user.userId, factor), digits, { now: now.getTime(), lastUsedStep: factor.lastUsedStep });
    if (!result.ok) throw new InvalidMfaCodeError();
    return { method: 'totp' as const, writes: [factorWrite(user.userId, { ...factor, lastUsedStep: result.step })] };
  }
  const recovery = verifyRecoveryCode(trimmed, factor.recoveryCodeHashes);
  if (!recovery.ok) throw new InvalidMfaCodeError();
  const remaining = factor.recoveryCodeHashes.filter((_, i) => i !== recovery.index);
  // Audited on its own: the person should see in their log that a recovery code went.
  await ctx.platform.audit.commit(
    { scope: `user:${user.userId}`, actor: actorOf(ctx, user.userId), action: 'user.recovery_code_used', target: { type: 'user', id: user.userId }, metadata: { remaining: remaining.length } },
    [factorWrite(user.userId, { ...factor, recoveryCodeHashes: remaining })],
  );
  return { method: 'recovery' as const, writes: [] as TransactWrite[] };
}

export const mfaRoutes = [
  implement(routes.startTotp, async (_input, ctx) => {
    const user = await requireUser(ctx);
    const existing = await loadFactor(ctx, user.userId);
    if (existing?.status === 'active') throw new ConflictError('Two-factor authentication is already on; turn it off first.');
    const secret = generateTotpSecret();
    const key = await userKeyRing(ctx.platform).open(user.userId);
    const sealedSecret = key.seal('totp-secret', secret);
    // A new enrolment replaces an unfinished one.
    await ctx.platform.table.transact([
      Writes.putVersioned(
        { ...Keys.totp(user.userId), status: 'pending', sealedSecret, recoveryCodeHashes: [], createdAt: new Date().toISOString() },
        existing?.version ?? 0,
        () => new ConflictError('Enrolment changed meanwhile; start again.'),
      ),
    ]);
    return { body: { secret, otpauthUri: otpauthUri({ secret, account: key.open('email', user.sealedEmail), issuer: 'Rampart' }) } };
  }),

  implement(routes.activateTotp, async ({ body }, ctx) => {
    const user = await requireUser(ctx);
    const factor = await loadFactor(ctx, user.userId);
    if (!factor || factor.status !== 'pending') throw new ConflictError('Start enrolment first (POST /v1/auth/mfa/totp).');
    const now = new Date();
    const result = verifyTotp(await openSecret(ctx, user.userId, factor), body.code, { now: now.getTime(), lastUsedStep: factor.lastUsedStep });
    if (!result.ok) throw new InvalidMfaCodeError();
    const recovery = generateRecoveryCodes();
    await ctx.platform.audit.commit(
      { scope: `user:${user.userId}`, actor: actorOf(ctx), action: 'user.mfa_enabled', target: { type: 'user', id: user.userId }, metadata: { method: 'totp' } },
      [
        factorWrite(user.userId, { ...factor, status: 'active', lastUsedStep: result.step, recoveryCodeHashes: [...recovery.hashes], activatedAt: now.toISOString() }),
        updateUserWrite({ ...user, mfaEnabled: true, updatedAt: now.toISOString() }),
      ],
    );
    return { body: { recoveryCodes: [...recovery.codes] } };
  }),

  implement(routes.disableTotp, async ({ body }, ctx) => {
    const user = await requireUser(ctx);
    const factor = await loadFactor(ctx, user.userId);
    if (!factor || factor.status !== 'active') throw new ConflictError('Two-factor authentication is not on.');
    const now = new Date();
    const proof = await checkSecondFactor(ctx, user, body.code, now);
    const fresh = proof.method === 'recovery' ? ((await loadFactor(ctx, user.userId)) ?? factor) : factor;
    await ctx.platform.audit.commit(
      { scope: `user:${user.userId}`, actor: actorOf(ctx), action: 'user.mfa_disabled', target: { type: 'user', id: user.userId }, metadata: { method: 'totp' } },
      [
        // The factor goes under the version the TOTP code was checked against (a concurrent use of
        // the same factor fails this), or the version a recovery code was just burnt at.
        Writes.delete(Keys.totp(user.userId), {
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': fresh.version },
        }, () => new InvalidMfaCodeError()),
        updateUserWrite({ ...user, mfaEnabled: false, updatedAt: now.toISOString() }),
      ],
    );
    return { body: {} };
  }),
];
