import { isSessionUsable } from '../kernel/accounts/session-record';
import type { UserRecord } from '../kernel/accounts/user-record';
import { sessionHash } from '../kernel/audit/catalogue';
import { userAuditEntry } from '../kernel/audit/entries';
import { EmailNotVerifiedError, InvalidCredentialsError, InvalidMfaCodeError, NotFoundError } from '../kernel/errors';
import { implement, type AnyRouteContext, type BoundRoute } from '../kernel/http/implementation';
import { consumeRateLimit } from '../kernel/rate-limit/consume';
import { NamedBuckets } from '../kernel/rate-limit/policies';
import { clientAddress } from '../kernel/rate-limit/subjects';
import type { TransactWrite } from '../kernel/storage/table';
import { findUserIdByEmailHash, getUser, NO_ACCOUNT_USER_ID, updateUserWrite } from './account';
import { deferWork } from './deferred-work';
import { checkSecondFactor } from './mfa';
import { consumeOneTimeToken, isIssuedFor, issueOneTimeToken } from './one-time-tokens';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords';
import { clientOf, getSession, listSessions, revokeSession, rotateRefreshToken, sessionTarget, sessionView, startSession, tokenPair } from './sessions';
import * as routes from './sessions-routes';
import { userKeyRing } from './user-keys';

/** Starts a session for a user who proved who they are, and returns the token pair. */
async function openSession(ctx: AnyRouteContext, user: UserRecord, mfa: boolean, extraWrites: TransactWrite[] = []) {
  const session = startSession(await userKeyRing(ctx.platform).open(user.userId), clientOf(ctx), new Date());
  await ctx.platform.audit.commit(
    userAuditEntry(ctx, user.userId, 'user.login_succeeded', { sessionHash: sessionHash(session.sessionId), mfa }, { target: sessionTarget(session.sessionId) }),
    [...session.writes, ...extraWrites],
  );
  return tokenPair(await ctx.platform.tokens.issue({ userId: user.userId, sessionId: session.sessionId }), session.refreshToken);
}

async function recordLoginFailure(ctx: AnyRouteContext, user: UserRecord, reason: 'invalid_credentials' | 'email_not_verified' | 'mfa_failed') {
  await ctx.platform.audit.commit(userAuditEntry(ctx, user.userId, 'user.login_failed', { reason }, { outcome: 'failure' }));
}

/** The caller's user id and session: an API key has no session here (404). */
function signedIn(ctx: AnyRouteContext): { userId: string; sessionId: string } {
  if (ctx.principal?.type !== 'user') throw new NotFoundError();
  return ctx.principal;
}

export const sessionImplementations: readonly BoundRoute[] = [
  implement(routes.login, async ({ body }, ctx) => {
    const { table, emailIndex } = ctx.platform;
    // Five guesses a minute at one account from one address, before any password work; the account
    // is counted by its address's keyed lookup hash, so the bucket key cannot confirm a guessed address.
    const emailHash = await emailIndex.lookupHash(body.email);
    await consumeRateLimit(table, { ...NamedBuckets.loginByIpAndEmail, subject: [clientAddress(ctx.sourceIp), emailHash] });
    // The same work for an unknown address as for a wrong password (docs/identity.md, "Equal work
    // on public paths"): the claim, a profile read (of an id no account holds), one argon2
    // verification, and the failure handed to the consumer, which records it if there is an account.
    const claimed = await findUserIdByEmailHash(table, emailHash);
    const user = await getUser(table, claimed ?? NO_ACCOUNT_USER_ID);
    const passwordOk = user ? await verifyPassword(user.passwordHash, body.password) : await verifyAgainstDummy(body.password);
    if (!user || !passwordOk) {
      await deferWork(ctx, { kind: 'login_failed', ...(user ? { userId: user.userId } : {}) });
      throw new InvalidCredentialsError();
    }
    if (!user.emailVerified) {
      await recordLoginFailure(ctx, user, 'email_not_verified');
      throw new EmailNotVerifiedError();
    }
    // Hashes made under weaker parameters are upgraded while we hold the password.
    const upgrade = needsRehash(user.passwordHash)
      ? [updateUserWrite({ ...user, passwordHash: await hashPassword(body.password), updatedAt: new Date().toISOString() })]
      : [];
    if (user.mfaEnabled) {
      const challenge = issueOneTimeToken('mfa-login', user, new Date());
      await table.transact([challenge.write, ...upgrade]);
      return { body: { mfaRequired: true as const, mfaToken: challenge.token } };
    }
    return { body: await openSession(ctx, user, false, upgrade) };
  }),

  implement(routes.loginMfa, async ({ body }, ctx) => {
    const { table } = ctx.platform;
    const now = new Date();
    // Single use: a wrong code ends this login attempt, and the password must be given again.
    const challenge = await consumeOneTimeToken(table, 'mfa-login', body.mfaToken, now);
    const user = challenge ? await getUser(table, challenge.userId) : undefined;
    // A password changed since the password step ends the attempt too.
    if (!challenge || !user || !isIssuedFor(challenge, user) || !user.mfaEnabled) throw new InvalidMfaCodeError();
    let factor: Awaited<ReturnType<typeof checkSecondFactor>>;
    try {
      factor = await checkSecondFactor(ctx, user, body.code, now);
    } catch (error) {
      if (error instanceof InvalidMfaCodeError) await recordLoginFailure(ctx, user, 'mfa_failed');
      throw error;
    }
    return { body: await openSession(ctx, user, true, factor.writes) };
  }),

  implement(routes.refresh, async ({ body }, ctx) => {
    const rotated = await rotateRefreshToken(ctx, body.refreshToken, new Date());
    return { body: tokenPair(await ctx.platform.tokens.issue({ userId: rotated.userId, sessionId: rotated.sessionId }), rotated.refreshToken) };
  }),

  implement(routes.logout, async (_input, ctx) => {
    const { userId, sessionId } = signedIn(ctx);
    const session = await getSession(ctx.platform.table, userId, sessionId);
    if (session) await revokeSession(ctx, session, 'logout', new Date());
    return { body: {} };
  }),

  implement(routes.listSessions, async (_input, ctx) => {
    const { userId, sessionId } = signedIn(ctx);
    const nowSeconds = Date.now() / 1000;
    const sessions = (await listSessions(ctx.platform.table, userId)).filter((s) => isSessionUsable(s, nowSeconds));
    const key = await userKeyRing(ctx.platform).open(userId);
    return { body: { sessions: sessions.map((s) => sessionView(s, sessionId, key)) } };
  }),

  implement(routes.revokeSession, async ({ params }, ctx) => {
    // Keyed by the caller's own user id: another user's session id finds nothing (404).
    const session = await getSession(ctx.platform.table, signedIn(ctx).userId, params.sessionId);
    if (!session || session.status !== 'active') throw new NotFoundError('No such session.');
    await revokeSession(ctx, session, 'revoked', new Date());
    return { body: {} };
  }),

  implement(routes.jwks, async (_input, ctx) => ({ body: await ctx.platform.tokens.jwks() })),
];
