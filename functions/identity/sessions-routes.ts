import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';
import { NoContent } from '../kernel/http/schemas';
import { Ids } from '../kernel/ids';
import { Password } from './account';
import { EmailAddress } from './email';
import { TotpOrRecoveryCode } from './mfa';
import { SecretToken } from './one-time-tokens';
import { LoginResult, RefreshToken, SessionView, Tokens } from './sessions';

export const login = defineRoute({
  id: 'login',
  method: 'POST',
  path: '/v1/auth/login',
  domain: 'identity',
  summary: 'Logs in with email and password',
  description:
    'Answers with tokens, or with an MFA challenge when two-factor is on. A wrong address or password is a 401 (the same for both); an unverified address is a 403.',
  auth: { kind: 'public' },
  rateLimit: 'auth',
  request: { body: z.object({ email: EmailAddress, password: Password }) },
  success: { status: 200, description: 'Tokens, or an MFA challenge', schema: LoginResult },
  errors: [400, 401, 403, 429],
});

export const loginMfa = defineRoute({
  id: 'loginMfa',
  method: 'POST',
  path: '/v1/auth/login/mfa',
  domain: 'identity',
  summary: 'Completes a login with a second factor',
  description:
    'Completes a login with the MFA token of the challenge and a TOTP or recovery code. The MFA token is single use: a wrong code ends the attempt (401) and the password must be given again.',
  auth: { kind: 'public' },
  rateLimit: 'auth',
  request: { body: z.object({ mfaToken: SecretToken, code: TotpOrRecoveryCode }) },
  success: { status: 200, description: 'Tokens', schema: Tokens },
  errors: [400, 401, 429],
});

export const refresh = defineRoute({
  id: 'refresh',
  method: 'POST',
  path: '/v1/auth/refresh',
  domain: 'identity',
  summary: 'Exchanges a refresh token for new tokens',
  description:
    'Exchanges a refresh token for a new access token and a new refresh token: the refresh token rotates. Presenting one that was already used revokes the session (401).',
  auth: { kind: 'public' },
  rateLimit: 'auth',
  request: { body: z.object({ refreshToken: RefreshToken }) },
  success: { status: 200, description: 'New tokens', schema: Tokens },
  errors: [400, 401, 429],
});

export const logout = defineRoute({
  id: 'logout',
  method: 'POST',
  path: '/v1/auth/logout',
  domain: 'identity',
  summary: 'Revokes the current session',
  description: 'Revokes the session of the access token that calls it; its refresh token no longer works.',
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  success: { status: 204, description: 'Session revoked', schema: NoContent },
});

export const listSessions = defineRoute({
  id: 'listSessions',
  method: 'GET',
  path: '/v1/auth/sessions',
  domain: 'identity',
  summary: 'Lists my sessions',
  description: "Lists the signed-in user's active sessions, newest first, with the client each was used from.",
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  success: { status: 200, description: 'Sessions, newest first', schema: z.object({ sessions: z.array(SessionView) }) },
});

export const revokeSession = defineRoute({
  id: 'revokeSession',
  method: 'DELETE',
  path: '/v1/auth/sessions/{sessionId}',
  domain: 'identity',
  summary: 'Revokes one of my sessions',
  description: "Revokes one of the signed-in user's active sessions; a session of someone else, or one already ended, is a 404.",
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  request: { params: z.object({ sessionId: Ids.session.schema }) },
  success: { status: 204, description: 'Session revoked', schema: NoContent },
  errors: [404],
});

export const jwks = defineRoute({
  id: 'getJwks',
  method: 'GET',
  path: '/.well-known/jwks.json',
  domain: 'identity',
  summary: 'The public keys that verify access tokens (JWKS)',
  description: 'Answers the JSON Web Key Set of the keys that sign access tokens, for anyone to verify them.',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'JSON Web Key Set',
    schema: z.object({ keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() })) }),
  },
});

export const sessionRoutes = [login, loginMfa, refresh, logout, listSessions, revokeSession, jwks] as const;
