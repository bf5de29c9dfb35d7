import { z } from 'zod';
import { anyone, defineRoute, signedIn } from '../kernel/http/route';
import { NoContent } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { Password } from './account';
import { EmailAddress } from './email';
import { TotpOrRecoveryCode } from './mfa';
import { SecretToken } from './one-time-tokens';
import { LoginResult, RefreshToken, SessionView, Tokens } from './sessions';

const Credentials = z.object({ email: EmailAddress, password: Password });
const SecondFactor = z.object({ mfaToken: SecretToken, code: TotpOrRecoveryCode });
const RefreshRequest = z.object({ refreshToken: RefreshToken });
const SessionList = z.object({ sessions: z.array(SessionView) });
const SessionParams = z.object({ sessionId: Ids.session.schema });
/** An Ed25519 public key (RFC 8037) as a JWK. */
const PublicJwk = z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() });
const JwkSet = z.object({ keys: z.array(PublicJwk) });

export const login = defineRoute({
  id: 'login',
  method: 'POST',
  path: '/v1/auth/login',
  domain: 'identity',
  summary: 'Logs in with email and password',
  description: 'Answers with tokens, or with an MFA challenge when two-factor is on. A wrong address or password is a 401 (the same for both); an unverified address is a 403.',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: Credentials,
  },
  success: {
    status: 200,
    description: 'Tokens, or an MFA challenge',
    schema: LoginResult,
  },
});

export const loginMfa = defineRoute({
  id: 'loginMfa',
  method: 'POST',
  path: '/v1/auth/login/mfa',
  domain: 'identity',
  summary: 'Completes a login with a second factor',
  description: 'Completes a login with the MFA token of the challenge and a TOTP or recovery code. The MFA token is single use: a wrong code ends the attempt (401) and the password must be given again.',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: SecondFactor,
  },
  success: {
    status: 200,
    description: 'Tokens',
    schema: Tokens,
  },
});

export const refresh = defineRoute({
  id: 'refresh',
  method: 'POST',
  path: '/v1/auth/refresh',
  domain: 'identity',
  summary: 'Exchanges a refresh token for new tokens',
  description: 'Exchanges a refresh token for a new access token and a new refresh token: the refresh token rotates. Presenting one that was already used revokes the session (401).',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: RefreshRequest,
  },
  success: {
    status: 200,
    description: 'New tokens',
    schema: Tokens,
  },
});

export const logout = defineRoute({
  id: 'logout',
  method: 'POST',
  path: '/v1/auth/logout',
  domain: 'identity',
  summary: 'Revokes the current session',
  description: 'Revokes the session of the access token that calls it; its refresh token no longer works.',
  auth: signedIn,
  rateLimit: 'general',
  success: {
    status: 204,
    description: 'Session revoked',
    schema: NoContent,
  },
});

export const listSessions = defineRoute({
  id: 'listSessions',
  method: 'GET',
  path: '/v1/auth/sessions',
  domain: 'identity',
  summary: 'Lists my sessions',
  description: "Lists the signed-in user's active sessions, newest first, with the client each was used from.",
  auth: signedIn,
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'Sessions, newest first',
    schema: SessionList,
  },
});

export const revokeSession = defineRoute({
  id: 'revokeSession',
  method: 'DELETE',
  path: '/v1/auth/sessions/{sessionId}',
  domain: 'identity',
  summary: 'Revokes one of my sessions',
  description: "Revokes one of the signed-in user's active sessions; a session of someone else, or one already ended, is a 404.",
  auth: signedIn,
  rateLimit: 'general',
  request: {
    params: SessionParams,
  },
  success: {
    status: 204,
    description: 'Session revoked',
    schema: NoContent,
  },
});

export const jwks = defineRoute({
  id: 'getJwks',
  method: 'GET',
  path: '/.well-known/jwks.json',
  domain: 'identity',
  summary: 'The public keys that verify access tokens (JWKS)',
  description: 'Answers the JSON Web Key Set of the keys that sign access tokens, for anyone to verify them.',
  auth: anyone,
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'JSON Web Key Set',
    schema: JwkSet,
  },
});

export const sessionRoutes = [login, loginMfa, refresh, logout, listSessions, revokeSession, jwks] as const;
