import { z } from 'zod';
import { defineRoute, signedIn } from '../kernel/http/route';
import { NoContent } from '../kernel/http/schemas';
import { Password } from './account';
import { TotpCode, TotpOrRecoveryCode } from './mfa';

/** Enrolment starts only with the password: a stolen access token alone cannot put a factor on the account. */
const PasswordConfirmation = z.object({ password: Password });

/** Shown once: the secret, and the same as an otpauth:// URI for authenticator apps. */
const TotpEnrolment = z.object({ secret: z.string(), otpauthUri: z.string() });
const FirstCode = z.object({ code: TotpCode });
/** Shown once: ten single-use codes. */
const RecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
const CurrentCode = z.object({ code: TotpOrRecoveryCode });

export const startTotp = defineRoute({
  id: 'startTotpEnrolment',
  method: 'POST',
  path: '/v1/auth/mfa/totp',
  domain: 'identity',
  summary: 'Starts TOTP enrolment',
  description:
    "Returns a new TOTP secret and its otpauth:// URI, once, after the account's password is given (401 otherwise); a new enrolment replaces an unfinished one. Refused (409) while two-factor is already on.",
  auth: signedIn,
  rateLimit: 'reauth',
  request: {
    body: PasswordConfirmation,
  },
  success: {
    status: 201,
    description: 'Enrolment started',
    schema: TotpEnrolment,
  },
  errors: [409],
});

export const activateTotp = defineRoute({
  id: 'activateTotp',
  method: 'POST',
  path: '/v1/auth/mfa/totp/activate',
  domain: 'identity',
  summary: 'Turns two-factor on with a first code',
  description:
    'Turns two-factor on once a first code from the enrolled secret is given, and returns 10 single-use recovery codes, once. A wrong code is a 401; after five wrong codes the account waits (429, longer each time); without an enrolment started, a 409.',
  auth: signedIn,
  rateLimit: 'reauth',
  request: {
    body: FirstCode,
  },
  success: {
    status: 200,
    description: 'Two-factor is on',
    schema: RecoveryCodes,
  },
  errors: [409],
});

export const disableTotp = defineRoute({
  id: 'disableTotp',
  method: 'DELETE',
  path: '/v1/auth/mfa/totp',
  domain: 'identity',
  summary: 'Turns two-factor off',
  description:
    'Turns two-factor off after a current TOTP or recovery code is given (401 otherwise; after five wrong codes the account waits, 429); a 409 when two-factor is not on.',
  auth: signedIn,
  rateLimit: 'reauth',
  request: {
    body: CurrentCode,
  },
  success: {
    status: 204,
    description: 'Two-factor is off',
    schema: NoContent,
  },
  errors: [409],
});

export const mfaRoutes = [startTotp, activateTotp, disableTotp] as const;
