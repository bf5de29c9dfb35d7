import type { UserRecord } from '../kernel/accounts/user-record';
import { userAuditEntry } from '../kernel/audit/entries';
import { InvalidCredentialsError, InvalidTokenError } from '../kernel/errors';
import { implement, type AnyRouteContext, type BoundRoute } from '../kernel/http/implementation';
import { Ids } from '../kernel/ids';
import { consumeRateLimit } from '../kernel/rate-limit/consume';
import { NamedBuckets } from '../kernel/rate-limit/policies';
import {
  assertPasswordPolicy,
  createUserWrites,
  EmailTakenError,
  findUserByEmail,
  getUser,
  meView,
  OutdatedAccountError,
  piiOf,
  requireUser,
  sendMail,
  updateUserWrite,
  type UserPii,
} from './account';
import * as routes from './account-routes';
import { Mail } from './mail-templates';
import { consumeOneTimeToken, issueOneTimeToken } from './one-time-tokens';
import { hashPassword, verifyPassword } from './passwords';
import { revokeAllSessionsWrites } from './sessions';
import { createUserKey, userKeyRing, UserDataUnavailableError } from './user-keys';

/**
 * Changes a password, revoking sessions (all, or all but `keep`), audited as one change. The
 * password and as many revocations as fit commit with the record; further ones follow on their own.
 */
async function setPassword(ctx: AnyRouteContext, user: UserRecord, password: string, via: 'change' | 'reset', keep?: string) {
  const now = new Date();
  const passwordHash = await hashPassword(password);
  const revocations = await revokeAllSessionsWrites(ctx.platform.table, user.userId, now, keep);
  await ctx.platform.audit.commitInBatches(userAuditEntry(ctx, user.userId, 'user.password_changed', { via, sessionsRevoked: revocations.length }), [
    updateUserWrite({ ...user, passwordHash, passwordChangedAt: now.toISOString(), updatedAt: now.toISOString() }),
    ...revocations,
  ]);
  await sendMail(ctx, Mail.passwordChanged((await piiOf(ctx, user)).email));
}

/**
 * The owner of an address, for the mail that answers a signup or a request about it; accounts that
 * cannot be read (from an older version, or deleted meanwhile) have no owner to tell.
 */
async function ownerOf(ctx: AnyRouteContext, email: string): Promise<{ user: UserRecord; pii: UserPii } | undefined> {
  try {
    const user = await findUserByEmail(ctx.platform.table, ctx.platform.emailIndex, email);
    return user ? { user, pii: await piiOf(ctx, user) } : undefined;
  } catch (error) {
    if (error instanceof OutdatedAccountError || error instanceof UserDataUnavailableError) return undefined;
    throw error;
  }
}

/** Mails the owner of an unverified account a fresh verification link. */
async function mailVerification(ctx: AnyRouteContext, owner: { user: UserRecord; pii: UserPii }): Promise<void> {
  const fresh = issueOneTimeToken('verify-email', owner.user.userId, new Date());
  await ctx.platform.table.transact([fresh.write]);
  await sendMail(ctx, Mail.verifyEmail(owner.pii.email, ctx.platform.appUrl, fresh.token));
}

/** Counted by the address's keyed lookup hash: a bucket key holds nothing a guess can be tested against. */
async function limitMailTo(ctx: AnyRouteContext, email: string): Promise<void> {
  await consumeRateLimit(ctx.platform.table, { ...NamedBuckets.mailByEmail, subject: [await ctx.platform.emailIndex.lookupHash(email)] });
}

export const accountImplementations: readonly BoundRoute[] = [
  implement(routes.signup, async ({ body }, ctx) => {
    const { audit, appUrl } = ctx.platform;
    await assertPasswordPolicy(body.password, 'password', body.email);
    // Hashed before we know whether the address is taken, so both answers take the same time.
    const passwordHash = await hashPassword(body.password);
    const now = new Date();
    const userId = Ids.user.generate();
    const verification = issueOneTimeToken('verify-email', userId, now);
    // The user's data key (PII key) seals the address and name; only its wrapped form is stored,
    // in the same transaction as the account.
    const userKey = await createUserKey(ctx.platform.piiKeys, userId, now);
    try {
      const at = now.toISOString();
      const account = { userId, email: body.email, name: body.name, passwordHash, emailVerified: false, mfaEnabled: false, createdAt: at, updatedAt: at, passwordChangedAt: at };
      await audit.commit(userAuditEntry(ctx, userId, 'user.signed_up', { method: 'password' }), [
        ...(await createUserWrites(account, userKey.key, ctx.platform.emailIndex)),
        userKey.write,
        verification.write,
      ]);
      await sendMail(ctx, Mail.verifyEmail(body.email, appUrl, verification.token));
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      // No account enumeration: the caller gets the same answer; the owner gets a note.
      const owner = await ownerOf(ctx, body.email);
      if (owner && !owner.user.emailVerified) await mailVerification(ctx, owner);
      else if (owner) await sendMail(ctx, Mail.alreadyRegistered(owner.pii.email, appUrl));
    }
    return { body: { status: 'verification_sent' } };
  }),

  implement(routes.verifyEmail, async ({ body }, ctx) => {
    const { table, audit } = ctx.platform;
    const now = new Date();
    const userId = await consumeOneTimeToken(table, 'verify-email', body.token, now);
    const user = userId ? await getUser(table, userId) : undefined;
    if (!user) throw new InvalidTokenError();
    if (!user.emailVerified) {
      await audit.commit(userAuditEntry(ctx, user.userId, 'user.email_verified', {}), [
        updateUserWrite({ ...user, emailVerified: true, emailVerifiedAt: now.toISOString(), updatedAt: now.toISOString() }),
      ]);
    }
    return { body: { status: 'verified' } };
  }),

  implement(routes.resendVerification, async ({ body }, ctx) => {
    await limitMailTo(ctx, body.email);
    const owner = await ownerOf(ctx, body.email);
    if (owner && !owner.user.emailVerified) await mailVerification(ctx, owner);
    return { body: { status: 'accepted' } };
  }),

  implement(routes.forgotPassword, async ({ body }, ctx) => {
    await limitMailTo(ctx, body.email);
    const owner = await ownerOf(ctx, body.email);
    if (owner) {
      const { userId } = owner.user;
      const reset = issueOneTimeToken('password-reset', userId, new Date());
      await ctx.platform.audit.commit(userAuditEntry(ctx, userId, 'user.password_reset_requested', {}), [reset.write]);
      await sendMail(ctx, Mail.resetPassword(owner.pii.email, ctx.platform.appUrl, reset.token));
    }
    return { body: { status: 'accepted' } };
  }),

  implement(routes.resetPassword, async ({ body }, ctx) => {
    const { table } = ctx.platform;
    // Policy first, so that a refused password does not burn the single-use token.
    await assertPasswordPolicy(body.password, 'password');
    const userId = await consumeOneTimeToken(table, 'password-reset', body.token, new Date());
    const user = userId ? await getUser(table, userId) : undefined;
    if (!user) throw new InvalidTokenError();
    await setPassword(ctx, user, body.password, 'reset');
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
    await assertPasswordPolicy(body.newPassword, 'newPassword', (await piiOf(ctx, user)).email);
    await setPassword(ctx, user, body.newPassword, 'change', ctx.principal.type === 'user' ? ctx.principal.sessionId : undefined);
    return { body: { status: 'password_changed' } };
  }),
];
