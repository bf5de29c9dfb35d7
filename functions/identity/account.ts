import { implement, type AnyRouteContext } from '../kernel/http/implementation';
import { InvalidCredentialsError, InvalidTokenError } from '../kernel/errors';
import type { Platform } from '../kernel/platform/platform';
import { consumeRateLimit } from '../kernel/rate-limit/consume';
import { NamedBuckets } from '../kernel/rate-limit/policies';
import { actorOf, assertPasswordPolicy } from './context';
import { Mail } from './mail-templates';
import type { MailMessage } from '../kernel/mail/mailer';
import { consumeOneTimeToken, issueOneTimeToken } from './one-time-tokens';
import { hashPassword, verifyPassword } from './passwords';
import * as routes from './routes';
import { revokeAllSessionsWrites } from './sessions';
import { createUserKey, userKeyRing, UserDataUnavailableError } from './user-keys';
import {
  createUserWrites,
  EmailTakenError,
  findUserByEmail,
  getUser,
  meView,
  newUserId,
  openUserPii,
  OutdatedAccountError,
  updateUserWrite,
  type UserPii,
  type UserRecord,
} from './users';

/** Mail failures must not turn a committed change into an error the client retries; they are logged. */
export async function sendMail(ctx: AnyRouteContext, message: MailMessage): Promise<void> {
  try {
    await ctx.platform.mailer.send(message);
  } catch (error) {
    ctx.logger.error('Could not send mail', { error, subject: message.subject });
  }
}

/** A transaction holds at most 100 items: revocations beyond what fits go in follow-up batches. */
const MAX_CHANGES_WITH_AUDIT = 90;

/** Changes a password, revoking sessions (all, or all but `keep`), audited as one change. */
async function setPassword(platform: Platform, user: UserRecord, password: string, via: 'change' | 'reset', ctx: AnyRouteContext, keep?: string) {
  const now = new Date();
  const passwordHash = await hashPassword(password);
  const revocations = await revokeAllSessionsWrites(platform.table, user.userId, now, keep);
  const first = revocations.slice(0, MAX_CHANGES_WITH_AUDIT);
  await platform.audit.commit(
    {
      scope: `user:${user.userId}`,
      actor: actorOf(ctx, user.userId),
      action: 'user.password_changed',
      target: { type: 'user', id: user.userId },
      metadata: { via, sessionsRevoked: revocations.length },
    },
    [updateUserWrite({ ...user, passwordHash, passwordChangedAt: now.toISOString(), updatedAt: now.toISOString() }), ...first],
  );
  for (let i = MAX_CHANGES_WITH_AUDIT; i < revocations.length; i += 100) await platform.table.transact(revocations.slice(i, i + 100));
  await sendMail(ctx, Mail.passwordChanged((await piiOf(ctx, user)).email));
}

/** The account's address and name, opened with its data key (one KMS call per instance and TTL). */
export const piiOf = (ctx: AnyRouteContext, user: UserRecord): Promise<UserPii> => openUserPii(userKeyRing(ctx.platform), user);

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

export const accountRoutes = [
  implement(routes.signup, async ({ body }, ctx) => {
    const { table, audit, appUrl } = ctx.platform;
    await assertPasswordPolicy(body.password, 'password', body.email);
    // Hashed before we know whether the address is taken, so both answers take the same time.
    const passwordHash = await hashPassword(body.password);
    const now = new Date();
    const userId = newUserId();
    const verification = issueOneTimeToken('verify-email', userId, now);
    // The user's data key (PII key) seals the address and name; only its wrapped form is stored,
    // in the same transaction as the account.
    const userKey = await createUserKey(ctx.platform.piiKeys, userId, now);
    try {
      await audit.commit(
        { scope: `user:${userId}`, actor: actorOf(ctx, userId), action: 'user.signed_up', target: { type: 'user', id: userId }, metadata: { method: 'password' } },
        [
          ...(await createUserWrites({
            userId,
            email: body.email,
            name: body.name,
            passwordHash,
            emailVerified: false,
            mfaEnabled: false,
            createdAt: now.toISOString(),
            updatedAt: now.toISOString(),
            passwordChangedAt: now.toISOString(),
          }, userKey.key, ctx.platform.emailIndex)),
          userKey.write,
          verification.write,
        ],
      );
      await sendMail(ctx, Mail.verifyEmail(body.email, appUrl, verification.token));
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      // No account enumeration: the caller gets the same answer; the owner gets a note.
      const owner = await ownerOf(ctx, body.email);
      if (owner && !owner.user.emailVerified) {
        const fresh = issueOneTimeToken('verify-email', owner.user.userId, now);
        await table.transact([fresh.write]);
        await sendMail(ctx, Mail.verifyEmail(owner.pii.email, appUrl, fresh.token));
      } else if (owner) {
        await sendMail(ctx, Mail.alreadyRegistered(owner.pii.email, appUrl));
      }
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
      await audit.commit(
        { scope: `user:${user.userId}`, actor: actorOf(ctx, user.userId), action: 'user.email_verified', target: { type: 'user', id: user.userId }, metadata: {} },
        [updateUserWrite({ ...user, emailVerified: true, emailVerifiedAt: now.toISOString(), updatedAt: now.toISOString() })],
      );
    }
    return { body: { status: 'verified' } };
  }),

  implement(routes.resendVerification, async ({ body }, ctx) => {
    const { table, appUrl, emailIndex } = ctx.platform;
    // Counted by the address's keyed lookup hash: a bucket key holds nothing a guess can be tested against.
    await consumeRateLimit(table, { ...NamedBuckets.mailByEmail, subject: [await emailIndex.lookupHash(body.email)] });
    const owner = await ownerOf(ctx, body.email);
    if (owner && !owner.user.emailVerified) {
      const fresh = issueOneTimeToken('verify-email', owner.user.userId, new Date());
      await table.transact([fresh.write]);
      await sendMail(ctx, Mail.verifyEmail(owner.pii.email, appUrl, fresh.token));
    }
    return { body: { status: 'accepted' } };
  }),

  implement(routes.forgotPassword, async ({ body }, ctx) => {
    const { table, audit, appUrl, emailIndex } = ctx.platform;
    await consumeRateLimit(table, { ...NamedBuckets.mailByEmail, subject: [await emailIndex.lookupHash(body.email)] });
    const owner = await ownerOf(ctx, body.email);
    if (owner) {
      const { userId } = owner.user;
      const reset = issueOneTimeToken('password-reset', userId, new Date());
      await audit.commit(
        { scope: `user:${userId}`, actor: actorOf(ctx, userId), action: 'user.password_reset_requested', target: { type: 'user', id: userId }, metadata: {} },
        [reset.write],
      );
      await sendMail(ctx, Mail.resetPassword(owner.pii.email, appUrl, reset.token));
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
    await setPassword(ctx.platform, user, body.password, 'reset', ctx);
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
    await audit.commit(
      { scope: `user:${user.userId}`, actor: actorOf(ctx), action: 'user.profile_updated', target: { type: 'user', id: user.userId }, metadata: { fields: ['name'] } },
      [updateUserWrite(updated)],
    );
    return { body: meView((await getUser(table, user.userId)) ?? updated, { ...pii, name: body.name }) };
  }),

  implement(routes.changePassword, async ({ body }, ctx) => {
    const user = await requireUser(ctx);
    if (!(await verifyPassword(user.passwordHash, body.currentPassword))) throw new InvalidCredentialsError();
    await assertPasswordPolicy(body.newPassword, 'newPassword', (await piiOf(ctx, user)).email);
    await setPassword(ctx.platform, user, body.newPassword, 'change', ctx, ctx.principal.type === 'user' ? ctx.principal.sessionId : undefined);
    return { body: { status: 'password_changed' } };
  }),
];

/** The signed-in user's account (a user principal whose account still exists). */
export async function requireUser(ctx: AnyRouteContext): Promise<UserRecord> {
  const user = ctx.principal?.type === 'user' ? await getUser(ctx.platform.table, ctx.principal.userId) : undefined;
  if (!user) throw new InvalidCredentialsError();
  return user;
}

