import { z } from 'zod';
import { defineRoute } from '../kernel/http/route';
import { EmailAddress } from './email';
import { SecretToken } from './one-time-tokens';
import { RefreshToken, SessionView } from './sessions';
import { MeView } from './users';

/** Checked in full by the password policy; the schema only bounds what reaches argon2. */
const Password = z.string().min(1).max(1024);
const Name = z.string().trim().min(1).max(100);
const TotpOrRecoveryCode = z.string().trim().min(6).max(32);
/** Authenticator apps show codes as `123 456`: spaces are not part of the code. */
const TotpCode = z
  .string()
  .max(16)
  .transform((code) => code.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'A 6-digit code.'));

const Tokens = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
});
const LoginResult = z.union([Tokens, z.object({ mfaRequired: z.literal(true), mfaToken: z.string() })]);
const Accepted = z.object({ status: z.string() });
const NoContent = z.object({});

export const signup = defineRoute({
  id: 'signup',
  method: 'POST',
  path: '/v1/auth/signup',
  domain: 'identity',
  summary: 'Creates an account and mails a verification link (the same answer whether or not the address has an account)',
  auth: { kind: 'public' },
  rateLimit: 'auth',
  request: { body: z.object({ email: EmailAddress, password: Password, name: Name }) },
  success: { status: 201, description: 'Verification mail sent', schema: Accepted },
  errors: [400, 429],
});

export const verifyEmail = defineRoute({
  id: 'verifyEmail',
  method: 'POST',
  path: '/v1/auth/verify-email',
  domain: 'identity',
  summary: 'Proves ownership of the email address with the token from the verification mail',
  auth: { kind: 'public' },
  rateLimit: 'auth',
  request: { body: z.object({ token: SecretToken }) },
  success: { status: 200, description: 'Address verified', schema: Accepted },
  errors: [400, 429],
});

export const resendVerification = defineRoute({
  id: 'resendVerification',
  method: 'POST',
  path: '/v1/auth/verify-email/resend',
  domain: 'identity',
  summary: 'Mails a new verification link (the same answer whether or not the address has an account)',
  auth: { kind: 'public' },
  rateLimit: 'sensitive',
  request: { body: z.object({ email: EmailAddress }) },
  success: { status: 202, description: 'Mail sent if the account exists and is unverified', schema: Accepted },
  errors: [400, 429],
});

export const login = defineRoute({
  id: 'login',
  method: 'POST',
  path: '/v1/auth/login',
  domain: 'identity',
  summary: 'Logs in with email and password; answers with tokens, or with an MFA challenge when two-factor is on',
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
  summary: 'Completes a login with the MFA token and a TOTP or recovery code',
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
  summary: 'Exchanges a refresh token for new tokens; the refresh token rotates, and reusing an old one revokes the session',
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
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  request: { params: z.object({ sessionId: z.string().regex(/^s_[0-9a-f]{32}$/) }) },
  success: { status: 204, description: 'Session revoked', schema: NoContent },
  errors: [404],
});

export const forgotPassword = defineRoute({
  id: 'forgotPassword',
  method: 'POST',
  path: '/v1/auth/password/forgot',
  domain: 'identity',
  summary: 'Mails a password reset link (the same answer whether or not the address has an account)',
  auth: { kind: 'public' },
  rateLimit: 'sensitive',
  request: { body: z.object({ email: EmailAddress }) },
  success: { status: 202, description: 'Mail sent if the account exists', schema: Accepted },
  errors: [400, 429],
});

export const resetPassword = defineRoute({
  id: 'resetPassword',
  method: 'POST',
  path: '/v1/auth/password/reset',
  domain: 'identity',
  summary: 'Sets a new password with the token from the reset mail; every session is revoked',
  auth: { kind: 'public' },
  rateLimit: 'auth',
  request: { body: z.object({ token: SecretToken, password: Password }) },
  success: { status: 200, description: 'Password changed', schema: Accepted },
  errors: [400, 429],
});

export const getMe = defineRoute({
  id: 'getMe',
  method: 'GET',
  path: '/v1/me',
  domain: 'identity',
  summary: 'My account',
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  success: { status: 200, description: 'The account', schema: MeView },
});

export const updateMe = defineRoute({
  id: 'updateMe',
  method: 'PATCH',
  path: '/v1/me',
  domain: 'identity',
  summary: 'Changes my name',
  auth: { kind: 'authenticated' },
  rateLimit: 'general',
  request: { body: z.object({ name: Name }) },
  success: { status: 200, description: 'The account', schema: MeView },
  errors: [400, 412],
});

export const changePassword = defineRoute({
  id: 'changePassword',
  method: 'POST',
  path: '/v1/me/password',
  domain: 'identity',
  summary: 'Changes my password; every other session is revoked',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  request: { body: z.object({ currentPassword: Password, newPassword: Password }) },
  success: { status: 200, description: 'Password changed', schema: Accepted },
  errors: [400, 401, 429],
});

export const deleteMe = defineRoute({
  id: 'deleteMe',
  method: 'DELETE',
  path: '/v1/me',
  domain: 'identity',
  summary:
    'Deletes my account after my password (and a TOTP or recovery code when two-factor is on): I leave every organization, my sessions end and my personal data is shredded; refused (409) while I am the last owner of an organization',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  request: { body: z.object({ password: Password, code: TotpOrRecoveryCode.optional() }) },
  success: { status: 204, description: 'Account deleted', schema: NoContent },
  errors: [400, 401, 409, 412, 429],
});

export const startTotp = defineRoute({
  id: 'startTotpEnrolment',
  method: 'POST',
  path: '/v1/auth/mfa/totp',
  domain: 'identity',
  summary: 'Starts TOTP enrolment: returns the secret and otpauth:// URI, once',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  success: { status: 201, description: 'Enrolment started', schema: z.object({ secret: z.string(), otpauthUri: z.string() }) },
  errors: [409, 429],
});

export const activateTotp = defineRoute({
  id: 'activateTotp',
  method: 'POST',
  path: '/v1/auth/mfa/totp/activate',
  domain: 'identity',
  summary: 'Turns two-factor on with a first code; returns 10 single-use recovery codes, once',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  request: { body: z.object({ code: TotpCode }) },
  success: { status: 200, description: 'Two-factor is on', schema: z.object({ recoveryCodes: z.array(z.string()) }) },
  errors: [400, 401, 409, 429],
});

export const disableTotp = defineRoute({
  id: 'disableTotp',
  method: 'DELETE',
  path: '/v1/auth/mfa/totp',
  domain: 'identity',
  summary: 'Turns two-factor off; needs a current TOTP or recovery code',
  auth: { kind: 'authenticated' },
  rateLimit: 'sensitive',
  request: { body: z.object({ code: TotpOrRecoveryCode }) },
  success: { status: 204, description: 'Two-factor is off', schema: NoContent },
  errors: [400, 401, 409, 429],
});

export const jwks = defineRoute({
  id: 'getJwks',
  method: 'GET',
  path: '/.well-known/jwks.json',
  domain: 'identity',
  summary: 'The public keys that verify access tokens (JWKS)',
  auth: { kind: 'public' },
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'JSON Web Key Set',
    schema: z.object({ keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() })) }),
  },
});

export const identityRoutes = [
  signup,
  verifyEmail,
  resendVerification,
  login,
  loginMfa,
  refresh,
  logout,
  listSessions,
  revokeSession,
  forgotPassword,
  resetPassword,
  getMe,
  updateMe,
  changePassword,
  deleteMe,
  startTotp,
  activateTotp,
  disableTotp,
  jwks,
] as const;
