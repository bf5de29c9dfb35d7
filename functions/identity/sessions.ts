import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  isSessionUsable,
  SESSION_ABSOLUTE_LIFETIME_SECONDS,
  SESSION_IDLE_LIFETIME_SECONDS,
  SessionRecord,
  Sessions,
} from '../kernel/accounts/session-record';
import { sessionHash } from '../kernel/audit/catalogue';
import { userAuditEntry, type AuditedRequest } from '../kernel/audit/entries';
import { InvalidTokenError, PreconditionFailedError, RefreshTokenReusedError } from '../kernel/errors';
import type { AnyRouteContext } from '../kernel/http/implementation';
import { Ids } from '../kernel/ids';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import { TransactionConditionFailed, type Table, type TransactWrite } from '../kernel/storage/table';
import { secretHash } from './one-time-tokens';
import { userKeyRing, type UserKey } from './user-keys';

/**
 * Sessions and their refresh tokens. A refresh token is 256 random bits, stored only as its
 * SHA-256, and rotated on every use; presenting one that was already used revokes the session
 * (reuse detection: whoever holds a stolen copy and the legitimate client cannot both go on).
 */

export const RefreshToken = z.string().regex(/^rmr_[A-Za-z0-9_-]{43}$/, 'Not a valid refresh token.');

/** A refresh token by its SHA-256: the session it renews, and whether it was used already. */
const RefreshTokens = defineEntity({
  name: 'refresh token',
  schema: z.object({ userId: z.string(), sessionId: z.string(), status: z.enum(['current', 'used']) }),
  key: Keys.refreshToken,
});

/** What a login or a refresh answers. */
export const Tokens = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
}).meta({ id: 'Tokens' });
/** What a login answers when two-factor is on: the token to complete it with (`POST /v1/auth/login/mfa`). */
const MfaChallenge = z.object({ mfaRequired: z.literal(true), mfaToken: z.string() }).meta({ id: 'MfaChallenge' });
export const LoginResult = z.union([Tokens, MfaChallenge]).meta({ id: 'LoginResult' });

/** The token pair handed out for a session: a new access token and the session's refresh token. */
export const tokenPair = (access: { token: string; expiresIn: number }, refreshToken: string): z.output<typeof Tokens> => ({
  tokenType: 'Bearer',
  accessToken: access.token,
  refreshToken,
  expiresIn: access.expiresIn,
});

export type Client = { readonly ip: string; readonly userAgent: string | undefined };
export const clientOf = (ctx: Pick<AnyRouteContext, 'sourceIp' | 'userAgent'>): Client => ({ ip: ctx.sourceIp, userAgent: ctx.userAgent });

const newRefreshToken = () => `rmr_${randomBytes(32).toString('base64url')}`;
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export type RevocationReason = 'logout' | 'revoked' | 'password_changed' | 'refresh_reuse';

const refreshTokenWrite = (token: string, session: { userId: string; sessionId: string }, expiresAt: number): TransactWrite =>
  RefreshTokens.at(secretHash(token)).create({ userId: session.userId, sessionId: session.sessionId, status: 'current', expiresAt });

/** The client details of a session, sealed under the user's key and bound to the session. */
const sealedClient = (key: UserKey, sessionId: string, client: Client) => ({
  sealedIp: key.seal('session-ip', client.ip, { session: sessionId }),
  ...(client.userAgent ? { sealedUserAgent: key.seal('session-user-agent', client.userAgent.slice(0, 512), { session: sessionId }) } : {}),
});

/**
 * A new session for the owner of `key` (the user's data key, which seals the client's address and
 * agent): the writes to commit, and the refresh token to hand out once.
 */
export function startSession(key: UserKey, client: Client, now: Date) {
  const { userId } = key;
  const sessionId = Ids.session.generate();
  const refreshToken = newRefreshToken();
  const absoluteExpiresAt = seconds(now) + SESSION_ABSOLUTE_LIFETIME_SECONDS;
  const record: Omit<SessionRecord, 'version'> = {
    sessionId,
    userId,
    status: 'active',
    createdAt: now.toISOString(),
    lastUsedAt: now.toISOString(),
    absoluteExpiresAt,
    idleExpiresAt: Math.min(absoluteExpiresAt, seconds(now) + SESSION_IDLE_LIFETIME_SECONDS),
    refreshTokenHash: secretHash(refreshToken),
    ...sealedClient(key, sessionId, client),
  };
  const writes = [
    // Kept until its absolute end so that listings and reuse detection see it; then TTL removes it.
    Sessions.at(userId, sessionId).putVersioned({ ...record, expiresAt: absoluteExpiresAt }, 0),
    refreshTokenWrite(refreshToken, { userId, sessionId }, absoluteExpiresAt),
  ];
  return { sessionId, refreshToken, writes };
}

export function getSession(table: Table, userId: string, sessionId: string): Promise<SessionRecord | undefined> {
  return table.read(Sessions.at(userId, sessionId));
}

/** The write that marks a session revoked (under its version). */
function revokeSessionWrite(session: SessionRecord, reason: RevocationReason, now: Date): TransactWrite {
  return Sessions.at(session.userId, session.sessionId).replace({
    ...session,
    status: 'revoked',
    revokedAt: now.toISOString(),
    revokedReason: reason,
    expiresAt: session.absoluteExpiresAt,
  });
}

/** How audit records name a session: by its hash (`sessionHash`), never by the id itself. */
export const sessionTarget = (sessionId: string) => ({ type: 'session' as const, id: sessionHash(sessionId) });

/** The audit entry of a session's end, in its owner's chain. */
const revocationEntry = (request: AuditedRequest, session: SessionRecord, reason: RevocationReason) =>
  userAuditEntry(request, session.userId, 'user.session_revoked', { sessionHash: sessionHash(session.sessionId), reason }, { target: sessionTarget(session.sessionId) });

/** Revokes one session with its audit record; a session already ended is left as it is. */
export async function revokeSession(ctx: AnyRouteContext, session: SessionRecord, reason: RevocationReason, now: Date): Promise<void> {
  if (session.status !== 'active') return;
  await ctx.platform.audit.commit(revocationEntry(ctx, session, reason), [revokeSessionWrite(session, reason, now)]);
}

/** Every session of a user still on record, newest first. */
export async function listSessions(table: Table, userId: string): Promise<SessionRecord[]> {
  const sessions = await table.queryAll(Sessions.query.ofUser(userId), { consistent: true });
  return sessions.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

/** The writes that revoke every usable session of a user (password change or reset). */
export async function revokeAllSessionsWrites(table: Table, userId: string, now: Date, except?: string): Promise<TransactWrite[]> {
  const sessions = await listSessions(table, userId);
  return sessions
    .filter((s) => s.sessionId !== except && isSessionUsable(s, seconds(now)))
    .map((s) => revokeSessionWrite(s, 'password_changed', now));
}

/** The deletes of a session and its current refresh token (a used one holds ids only and expires). */
export const deleteSessionWrites = (session: SessionRecord): TransactWrite[] => [
  Sessions.at(session.userId, session.sessionId).delete(),
  RefreshTokens.at(session.refreshTokenHash).delete(),
];

/**
 * Exchanges a refresh token for a new one (and the session it belongs to). A token already used
 * revokes its session and throws `RefreshTokenReusedError`; an unknown one throws InvalidTokenError.
 */
export async function rotateRefreshToken(ctx: AnyRouteContext, presented: string, now: Date): Promise<{ userId: string; sessionId: string; refreshToken: string }> {
  const { table, audit } = ctx.platform;
  const presentedHash = secretHash(presented);
  const stored = await table.read(RefreshTokens.at(presentedHash));
  if (!stored) throw new InvalidTokenError('The refresh token is invalid or has expired.');
  const session = await getSession(table, stored.userId, stored.sessionId);
  if (!isSessionUsable(session, seconds(now))) throw new InvalidTokenError('The session has ended; log in again.');

  const reuse = async () => {
    const latest = await getSession(table, session.userId, session.sessionId);
    if (latest?.status === 'active') {
      await audit.commit(
        userAuditEntry(ctx, session.userId, 'user.refresh_token_reused', { sessionHash: sessionHash(session.sessionId) }, { target: sessionTarget(session.sessionId), outcome: 'denied' }),
        [revokeSessionWrite(latest, 'refresh_reuse', now)],
      );
    }
    return new RefreshTokenReusedError();
  };
  if (stored.status === 'used' || session.refreshTokenHash !== presentedHash) throw await reuse();

  const refreshToken = newRefreshToken();
  const key = await userKeyRing(ctx.platform).open(session.userId);
  const writes: TransactWrite[] = [
    // The old token flips to `used` only if it still is `current`: of two concurrent refreshes, one wins.
    RefreshTokens.at(presentedHash).put({ ...stored, status: 'used', expiresAt: session.absoluteExpiresAt }, { when: Conditions.attributeIs('status', 'current') }),
    refreshTokenWrite(refreshToken, session, session.absoluteExpiresAt),
    Sessions.at(session.userId, session.sessionId).replace({
      ...session,
      refreshTokenHash: secretHash(refreshToken),
      lastUsedAt: now.toISOString(),
      idleExpiresAt: Math.min(session.absoluteExpiresAt, seconds(now) + SESSION_IDLE_LIFETIME_SECONDS),
      // The address seen last; the agent stays the one the session was started with.
      sealedIp: key.seal('session-ip', ctx.sourceIp, { session: session.sessionId }),
      expiresAt: session.absoluteExpiresAt,
    }),
  ];
  try {
    await table.transact(writes);
  } catch (error) {
    // Lost the race against a concurrent refresh of the same token: that is reuse too.
    if (error instanceof TransactionConditionFailed || error instanceof PreconditionFailedError) throw await reuse();
    throw error;
  }
  return { userId: session.userId, sessionId: session.sessionId, refreshToken };
}

/** What `GET /v1/auth/sessions` shows of a session. */
export const SessionView = z.object({
  sessionId: z.string(),
  userAgent: z.string().nullable(),
  ip: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  current: z.boolean(),
}).meta({ id: 'Session' });

/** What a session shows its owner; `key` (the owner's data key) opens the client details. */
export const sessionView = (s: SessionRecord, currentSessionId: string, key: UserKey): z.output<typeof SessionView> => ({
  sessionId: s.sessionId,
  userAgent: s.sealedUserAgent ? key.open('session-user-agent', s.sealedUserAgent, { session: s.sessionId }) : null,
  ip: s.sealedIp ? key.open('session-ip', s.sealedIp, { session: s.sessionId }) : '',
  createdAt: s.createdAt,
  lastUsedAt: s.lastUsedAt,
  current: s.sessionId === currentSessionId,
});
