import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { sessionHash } from '../kernel/audit/catalogue';
import type { AuditActor } from '../kernel/audit/record';
import type { AuditTrail } from '../kernel/audit/audit-trail';
import {
  isSessionUsable,
  SESSION_ABSOLUTE_LIFETIME_SECONDS,
  SESSION_IDLE_LIFETIME_SECONDS,
  SessionRecord,
} from '../kernel/accounts/session-record';
import { InvalidTokenError, PreconditionFailedError, RefreshTokenReusedError } from '../kernel/errors';
import { Keys } from '../kernel/storage/keys';
import { Conditions } from '../kernel/storage/conditions';
import { Writes, type TransactWrite } from '../kernel/storage/writes';
import { TransactionConditionFailed, type Table } from '../kernel/storage/table';
import { secretHash } from './one-time-tokens';
import type { UserKey, UserKeyRing } from './user-keys';

/**
 * Sessions and their refresh tokens. A refresh token is 256 random bits, stored only as its
 * SHA-256, and rotated on every use; presenting one that was already used revokes the session
 * (reuse detection: whoever holds a stolen copy and the legitimate client cannot both go on).
 */

export const RefreshToken = z.string().regex(/^rmr_[A-Za-z0-9_-]{43}$/, 'Not a valid refresh token.');

const StoredRefreshToken = z.object({
  userId: z.string(),
  sessionId: z.string(),
  status: z.enum(['current', 'used']),
});

const newSessionId = () => `s_${randomBytes(16).toString('hex')}`;
const newRefreshToken = () => `rmr_${randomBytes(32).toString('base64url')}`;
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export type RevocationReason = 'logout' | 'revoked' | 'password_changed' | 'refresh_reuse';

function refreshTokenWrite(token: string, session: { userId: string; sessionId: string }, expiresAt: number): TransactWrite {
  return Writes.put(
    { ...Keys.refreshToken(secretHash(token)), userId: session.userId, sessionId: session.sessionId, status: 'current', expiresAt },
    Conditions.notExists,
  );
}

/** The client details of a session, sealed under the user's key and bound to the session. */
const sealedClient = (key: UserKey, sessionId: string, client: { ip: string; userAgent: string | undefined }) => ({
  sealedIp: key.seal('session-ip', client.ip, { session: sessionId }),
  ...(client.userAgent ? { sealedUserAgent: key.seal('session-user-agent', client.userAgent.slice(0, 512), { session: sessionId }) } : {}),
});

/**
 * A new session for the owner of `key` (the user's data key, which seals the client's address and
 * agent): the writes to commit, and the refresh token to hand out once.
 */
export function startSession(key: UserKey, client: { ip: string; userAgent: string | undefined }, now: Date) {
  const { userId } = key;
  const sessionId = newSessionId();
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
    Writes.putVersioned({ ...Keys.session(userId, sessionId), ...record, expiresAt: absoluteExpiresAt }, 0),
    refreshTokenWrite(refreshToken, { userId, sessionId }, absoluteExpiresAt),
  ];
  return { sessionId, refreshToken, writes };
}

export async function getSession(table: Table, userId: string, sessionId: string): Promise<SessionRecord | undefined> {
  return table.get(Keys.session(userId, sessionId), SessionRecord, { consistent: true });
}

/** The write that marks a session revoked (under its version). */
export function revokeSessionWrite(session: SessionRecord, reason: RevocationReason, now: Date): TransactWrite {
  const { version, ...rest } = session;
  return Writes.putVersioned(
    { ...Keys.session(session.userId, session.sessionId), ...rest, status: 'revoked', revokedAt: now.toISOString(), revokedReason: reason, expiresAt: session.absoluteExpiresAt },
    version,
  );
}

/** Revokes one session with its audit record; a session already ended is left as it is. */
export async function revokeSession(
  deps: { table: Table; audit: AuditTrail },
  session: SessionRecord,
  reason: RevocationReason,
  actor: AuditActor,
  now: Date,
): Promise<void> {
  if (session.status !== 'active') return;
  await deps.audit.commit(
    { scope: `user:${session.userId}`, actor, action: 'user.session_revoked', target: { type: 'session', id: sessionHash(session.sessionId) }, metadata: { sessionHash: sessionHash(session.sessionId), reason } },
    [revokeSessionWrite(session, reason, now)],
  );
}

/** Every session of a user still on record, newest first. */
export async function listSessions(table: Table, userId: string): Promise<SessionRecord[]> {
  const sessions: SessionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ schema: SessionRecord, partition: Keys.userPartition(userId), sortKeyPrefix: 'SESSION#', consistent: true, ...(cursor ? { cursor } : {}) });
    sessions.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return sessions.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

/** The writes that revoke every usable session of a user (password change or reset). */
export async function revokeAllSessionsWrites(table: Table, userId: string, now: Date, except?: string): Promise<TransactWrite[]> {
  const sessions = await listSessions(table, userId);
  return sessions
    .filter((s) => s.sessionId !== except && isSessionUsable(s, seconds(now)))
    .map((s) => revokeSessionWrite(s, 'password_changed', now));
}

/**
 * Exchanges a refresh token for a new one (and the session it belongs to). A token already used
 * revokes its session and throws `RefreshTokenReusedError`; an unknown one throws InvalidTokenError.
 */
export async function rotateRefreshToken(
  deps: { table: Table; audit: AuditTrail; userKeys: UserKeyRing },
  presented: string,
  client: { ip: string; userAgent: string | undefined },
  now: Date,
): Promise<{ userId: string; sessionId: string; refreshToken: string }> {
  const presentedHash = secretHash(presented);
  const stored = await deps.table.get(Keys.refreshToken(presentedHash), StoredRefreshToken, { consistent: true });
  if (!stored) throw new InvalidTokenError('The refresh token is invalid or has expired.');
  const session = await getSession(deps.table, stored.userId, stored.sessionId);
  if (!isSessionUsable(session, seconds(now))) throw new InvalidTokenError('The session has ended; log in again.');

  const actor: AuditActor = { type: 'user', id: session.userId, ip: client.ip, ...(client.userAgent ? { userAgent: client.userAgent.slice(0, 512) } : {}) };
  const reuse = async () => {
    const latest = await getSession(deps.table, session.userId, session.sessionId);
    if (latest?.status === 'active') {
      await deps.audit.commit(
        { scope: `user:${session.userId}`, actor, action: 'user.refresh_token_reused', outcome: 'denied', target: { type: 'session', id: sessionHash(session.sessionId) }, metadata: { sessionHash: sessionHash(session.sessionId) } },
        [revokeSessionWrite(latest, 'refresh_reuse', now)],
      );
    }
    return new RefreshTokenReusedError();
  };
  if (stored.status === 'used' || session.refreshTokenHash !== presentedHash) throw await reuse();

  const refreshToken = newRefreshToken();
  const key = await deps.userKeys.open(session.userId);
  const { version, ...rest } = session;
  const writes: TransactWrite[] = [
    // The old token flips to `used` only if it still is `current`: of two concurrent refreshes, one wins.
    Writes.put(
      { ...Keys.refreshToken(presentedHash), ...stored, status: 'used', expiresAt: session.absoluteExpiresAt },
      { ConditionExpression: '#status = :current', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':current': 'current' } },
    ),
    refreshTokenWrite(refreshToken, session, session.absoluteExpiresAt),
    Writes.putVersioned(
      {
        ...Keys.session(session.userId, session.sessionId),
        ...rest,
        refreshTokenHash: secretHash(refreshToken),
        lastUsedAt: now.toISOString(),
        idleExpiresAt: Math.min(session.absoluteExpiresAt, seconds(now) + SESSION_IDLE_LIFETIME_SECONDS),
        // The address seen last; the agent stays the one the session was started with.
        sealedIp: key.seal('session-ip', client.ip, { session: session.sessionId }),
        expiresAt: session.absoluteExpiresAt,
      },
      version,
    ),
  ];
  try {
    await deps.table.transact(writes);
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
});

/** What a session shows its owner; `key` (the owner's data key) opens the client details. */
export const sessionView = (s: SessionRecord, currentSessionId: string, key: UserKey): z.output<typeof SessionView> => ({
  sessionId: s.sessionId,
  userAgent: s.sealedUserAgent ? key.open('session-user-agent', s.sealedUserAgent, { session: s.sessionId }) : null,
  ip: s.sealedIp ? key.open('session-ip', s.sealedIp, { session: s.sessionId }) : '',
  createdAt: s.createdAt,
  lastUsedAt: s.lastUsedAt,
  current: s.sessionId === currentSessionId,
});

