import { isSessionUsable, Sessions } from '../accounts/session-record';
import { UnauthenticatedError } from '../errors';
import type { Table } from '../storage/table';
import type { AccessTokens } from './access-tokens';
import { isApiKeyCredential, verifyApiKey } from './api-key-credentials';
import type { Authenticator } from './authenticator';

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
 * unrevoked and unexpired. Sessions and keys are read consistently on every request and never
 * cached: a logout, a revocation, a password change or a deleted account ends access at once, for
 * one consistent read (0.5 read capacity units of a small item) per request.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? (() => Date.now());
  const sessionIsActive = async (userId: string, sessionId: string): Promise<boolean> =>
    isSessionUsable(await options.table.read(Sessions.at(userId, sessionId)), now() / 1000);

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
