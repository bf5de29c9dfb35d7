import type { UserRecord } from '../kernel/accounts/user-record';
import { userAuditEntry } from '../kernel/audit/entries';
import { InvalidCredentialsError, InvalidTokenError, ValidationError } from '../kernel/errors';
import { implement, type AnyRouteContext, type BoundRoute } from '../kernel/http/implementation';
import { Ids } from '../kernel/ids';
import { sendNotice, spendMailBudget } from '../kernel/mail/send';
import type { TransactWrite } from '../kernel/storage/table';
import { assertPasswordFreeOfEmail, getUser, meView, piiOf, requireUser, updateUserWrite } from './account';
import * as routes from './account-routes';
import { deferWork } from './deferred-work';
import { Mail } from './mail-templates';
import { isIssuedFor, readOneTimeToken, spendOneTimeTokenWrite, type TokenPurpose } from './one-time-tokens';
import { hashPassword, verifyPassword } from './passwords';
import { revokeAllSessionsWrites } from './sessions';
import { generateUserKey, userKeyRing } from './user-keys';

/**
 * Changes a password, revoking sessions (all, or all but `keep`), audited as one change, with
 * `alongside` (the reset token that allowed it) in the first transaction. The new
 * `passwordChangedAt` ends every verification and reset token issued before it.
 */
async function setPassword(ctx: AnyRouteContext, user: UserRecord, password: string, via: 'change' | 'reset', options: { keep?: string; alongside?: TransactWrite[] } = {}) {
  const now = new Date();
  const passwordHash = await hashPassword(password);
  const revocations = await revokeAllSessionsWrites(ctx.platform.table, user.userId, now, options.keep);
  await ctx.platform.audit.commitInBatches(userAuditEntry(ctx, user.userId, 'user.password_changed', { via, sessionsRevoked: revocations.length }), [
    updateUserWrite({ ...user, passwordHash, passwordChangedAt: now.toISOString(), updatedAt: now.toISOString() }),
    ...(options.alongside ?? []),
    ...revocations,
  ]);
  await sendNotice(ctx.platform, ctx.logger, Mail.passwordChanged((await piiOf(ctx, user)).email));
}

/**
 * The account a mailed token speaks for, without spending the token: it must be known, unexpired,
 * and issued under the credentials the account holds now (a password changed since ends it).
 * @throws InvalidTokenError
 */
async function accountOfToken(ctx: AnyRouteContext, purpose: TokenPurpose, token: string, now: Date): Promise<UserRecord> {
  const stored = await readOneTimeToken(ctx.platform.table, purpose, token, now);
  const user = stored ? await getUser(ctx.platform.table, stored.userId) : undefined;
  if (!stored || !user || !isIssuedFor(stored, user)) throw new InvalidTokenError();
  return user;
}

/**
 * The public requests below answer the same, and do the same work, whether or not the address has
 * an account: each spends the address's mail budget, does what it does for every address, and
 * leaves the rest to the identity consumer (`deferWork`). docs/identity.md, "Equal work on public paths".
 */
export const accountImplementations: readonly BoundRoute[] = [
  implement(routes.signup, async ({ body }, ctx) => {
    const { piiKeys, emailIndex } = ctx.platform;
    await spendMailBudget(ctx.platform, body.email);
    const passwordHash = await hashPassword(body.password);
    // The data key of the account-to-be seals the address and name for the consumer; it becomes
    // the account's own key if the address is free.
    const userId = Ids.user.generate();
    const { key, wrapped } = await generateUserKey(piiKeys, userId);
    await deferWork(ctx, {
      kind: 'signup',
      userId,
      emailHash: await emailIndex.lookupHash(body.email),
      dataKey: wrapped,
      sealedEmail: key.seal('email', body.email),
      sealedName: key.seal('name', body.name),
      passwordHash,
    });
    return { body: { status: 'accepted' } };
  }),

  implement(routes.verifyEmail, async ({ body }, ctx) => {
    const now = new Date();
    const user = await accountOfToken(ctx, 'verify-email', body.token, now);
    // The mailbox alone does not take an account over: the link must come with the password of the
    // signup that asked for it (an earlier signup's link died when a later one replaced it).
    if (!(await verifyPassword(user.passwordHash, body.password))) {
      throw new ValidationError([
        {
          path: 'body.password',
          message: 'The password is not the one given at signup. If you did not sign up with this address yourself, sign up again: your signup replaces the other one.',
        },
      ]);
    }
    const spend = spendOneTimeTokenWrite('verify-email', body.token);
    if (user.emailVerified) {
      await ctx.platform.table.transact([spend]);
    } else {
      await ctx.platform.audit.commit(userAuditEntry(ctx, user.userId, 'user.email_verified', {}), [
        spend,
        updateUserWrite({ ...user, emailVerified: true, emailVerifiedAt: now.toISOString(), updatedAt: now.toISOString() }),
      ]);
    }
    return { body: { status: 'verified' } };
  }),

  implement(routes.resendVerification, async ({ body }, ctx) => {
    await spendMailBudget(ctx.platform, body.email);
    await deferWork(ctx, { kind: 'verification', emailHash: await ctx.platform.emailIndex.lookupHash(body.email) });
    return { body: { status: 'accepted' } };
  }),

  implement(routes.forgotPassword, async ({ body }, ctx) => {
    await spendMailBudget(ctx.platform, body.email);
    await deferWork(ctx, { kind: 'password_reset', emailHash: await ctx.platform.emailIndex.lookupHash(body.email) });
    return { body: { status: 'accepted' } };
  }),

  implement(routes.resetPassword, async ({ body }, ctx) => {
    const user = await accountOfToken(ctx, 'password-reset', body.token, new Date());
    // The rules the schema could not check without the account; a refused password leaves the token usable.
    assertPasswordFreeOfEmail(body.password, 'password', (await piiOf(ctx, user)).email);
    await setPassword(ctx, user, body.password, 'reset', { alongside: [spendOneTimeTokenWrite('password-reset', body.token)] });
    return { body: { status: 'password_changed' } };
  }),

  implement(routes.getMe, async (_input, ctx) => {
    const user = await requireUser(ctx);
    return { body: meView(user, await piiOf(ctx, user)) };
  }),

  implement(routes.updateMe, async ({ body }, ctx) => {
    const { table, audit } = ctx.platform;
    const user = await requireUser(ctx);
    const key = await userKeyRing(ctx.platform).open(user.userId);
    const pii = { email: key.open('email', user.sealedEmail), name: key.open('name', user.sealedName) };
    if (pii.name === body.name) return { body: meView(user, pii) };
    const updated = { ...user, sealedName: key.seal('name', body.name), updatedAt: new Date().toISOString() };
    await audit.commit(userAuditEntry(ctx, user.userId, 'user.profile_updated', { fields: ['name'] }), [updateUserWrite(updated)]);
    return { body: meView((await getUser(table, user.userId)) ?? updated, { ...pii, name: body.name }) };
  }),

  implement(routes.changePassword, async ({ body }, ctx) => {
    const user = await requireUser(ctx);
    if (!(await verifyPassword(user.passwordHash, body.currentPassword))) throw new InvalidCredentialsError();
    assertPasswordFreeOfEmail(body.newPassword, 'newPassword', (await piiOf(ctx, user)).email);
    await setPassword(ctx, user, body.newPassword, 'change', ctx.principal.type === 'user' ? { keep: ctx.principal.sessionId } : {});
    return { body: { status: 'password_changed' } };
  }),
];
