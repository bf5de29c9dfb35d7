import { z } from 'zod';
import { defineEntity } from '../storage/entity';
import { Keys, Listings } from '../storage/keys';

/** Sessions: absolute lifetime from login, and idle lifetime from the last refresh. */
export const SESSION_ABSOLUTE_LIFETIME_SECONDS = 30 * 24 * 3600;
export const SESSION_IDLE_LIFETIME_SECONDS = 7 * 24 * 3600;

/** A login session, stored at `USER#<userId>` / `SESSION#<sessionId>`. */
export const SessionRecord = z.object({
  sessionId: z.string(),
  userId: z.string(),
  status: z.enum(['active', 'revoked']),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  /** Epoch seconds. */
  absoluteExpiresAt: z.number(),
  idleExpiresAt: z.number(),
  /** SHA-256 of the refresh token currently valid for this session. */
  refreshTokenHash: z.string(),
  /**
   * The client's address and user agent, sealed under the user's data key (identity's `UserKey`,
   * fields `session-ip` and `session-user-agent`, bound to the session): personal data, shredded
   * with the account. Absent on sessions from before they were sealed (their plaintext is ignored).
   */
  sealedIp: z.string().optional(),
  sealedUserAgent: z.string().optional(),
  revokedAt: z.string().optional(),
  revokedReason: z.string().optional(),
  version: z.number(),
});
export type SessionRecord = z.output<typeof SessionRecord>;

/** Sessions: written by identity, read by the authenticator for every access token. */
export const Sessions = defineEntity({ name: 'session', schema: SessionRecord, key: Keys.session, queries: { ofUser: Listings.sessionsOfUser } });

/** Whether a session may still be used at `nowSeconds`. */
export function isSessionUsable(session: SessionRecord | undefined, nowSeconds: number): session is SessionRecord {
  return !!session && session.status === 'active' && nowSeconds < session.absoluteExpiresAt && nowSeconds < session.idleExpiresAt;
}
