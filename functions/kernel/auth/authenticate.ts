import { isSessionUsable, Sessions } from '../accounts/session-record';
import { UnauthenticatedError } from '../errors';
import type { Table } from '../storage/table';
import type { AccessTokens } from './access-tokens';
import { isApiKeyCredential, verifyApiKey } from './api-key-credentials';
import type { Authenticator } from './authenticator';

/**
 * How long an instance trusts that a session is still active. A revoked session's access tokens
 * stop working within this bound (the promise is 60 s), at one consistent read per session
 * per bound instead of one per request.
 */
export const SESSION_STATUS_CACHE_MS = 30_000;
const SESSION_CACHE_MAX_ENTRIES = 10_000;

// The scheme is case-insensitive (RFC 7235); the credential is a token68.
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/i;

export interface AuthenticatorOptions {
  readonly table: Table;
  readonly tokens: AccessTokens;
  readonly now?: () => number;
}

/**
 * The authentication step of every non-public route: a bearer access token (JWT) whose signature,
 * claims and session all check out, or an organization API key (`rmp_…`) that is known, untampered,
 * unrevoked and unexpired (read consistently on every request, never cached: revocation is immediate).
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? (() => Date.now());
  const activeUntil = new Map<string, number>();

  const sessionIsActive = async (userId: string, sessionId: string): Promise<boolean> => {
    const cacheKey = `${userId}/${sessionId}`;
    const cached = activeUntil.get(cacheKey);
    if (cached !== undefined && cached > now()) return true;
    activeUntil.delete(cacheKey);
    const session = await options.table.read(Sessions.at(userId, sessionId));
    if (!isSessionUsable(session, now() / 1000)) return false;
    if (activeUntil.size >= SESSION_CACHE_MAX_ENTRIES) activeUntil.delete(activeUntil.keys().next().value!);
    activeUntil.set(cacheKey, now() + SESSION_STATUS_CACHE_MS);
    return true;
  };

  return async ({ authorization }) => {
    if (!authorization) throw new UnauthenticatedError();
    const match = BEARER.exec(authorization);
    if (!match) throw new UnauthenticatedError('Use "Authorization: Bearer <access token>".');
    const credential = match[1]!;
    if (isApiKeyCredential(credential)) {
      const principal = await verifyApiKey(options.table, credential, now());
      // One answer for unknown, tampered, revoked and expired keys: the caller learns nothing more.
      if (!principal) throw new UnauthenticatedError('Invalid API key.');
      return principal;
    }
    const claims = await options.tokens.verify(credential);
    if (!(await sessionIsActive(claims.userId, claims.sessionId))) throw new UnauthenticatedError('The session has ended; log in again.');
    return { type: 'user', userId: claims.userId, sessionId: claims.sessionId };
  };
}
