import { z } from 'zod';
import { anyone, defineRoute, signedIn } from '../kernel/http/route';
import { Accepted } from '../kernel/http/schemas';
import { MeView, Name, Password } from './account';
import { EmailAddress } from './email';
import { SecretToken } from './one-time-tokens';

const NewAccount = z.object({ email: EmailAddress, password: Password, name: Name });
const VerificationToken = z.object({ token: SecretToken });
/** The address a verification or reset link is mailed to. */
const MailAddress = z.object({ email: EmailAddress }).meta({ id: 'MailAddress' });
const PasswordReset = z.object({ token: SecretToken, password: Password });
const NameChange = z.object({ name: Name });
const PasswordChange = z.object({ currentPassword: Password, newPassword: Password });

export const signup = defineRoute({
  id: 'signup',
  method: 'POST',
  path: '/v1/auth/signup',
  domain: 'identity',
  summary: 'Creates an account and mails a verification link',
  description: 'Creates an account for anyone and mails a link that proves the address. The answer is the same whether or not the address already has an account (its owner is mailed instead); a password the policy refuses is a 400.',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: NewAccount,
  },
  success: {
    status: 201,
    description: 'Verification mail sent',
    schema: Accepted,
  },
});

export const verifyEmail = defineRoute({
  id: 'verifyEmail',
  method: 'POST',
  path: '/v1/auth/verify-email',
  domain: 'identity',
  summary: 'Proves ownership of the email address',
  description: 'Verifies the address with the single-use token from the verification mail; an unknown, used or expired token is refused.',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: VerificationToken,
  },
  success: {
    status: 200,
    description: 'Address verified',
    schema: Accepted,
  },
});

export const resendVerification = defineRoute({
  id: 'resendVerification',
  method: 'POST',
  path: '/v1/auth/verify-email/resend',
  domain: 'identity',
  summary: 'Mails a new verification link',
  description: 'Mails a new verification link to an account whose address is not verified yet. The answer is the same whether or not the address has an account; requests per address are rate limited.',
  auth: anyone,
  rateLimit: 'sensitive',
  request: {
    body: MailAddress,
  },
  success: {
    status: 202,
    description: 'Mail sent if the account exists and is unverified',
    schema: Accepted,
  },
});

export const forgotPassword = defineRoute({
  id: 'forgotPassword',
  method: 'POST',
  path: '/v1/auth/password/forgot',
  domain: 'identity',
  summary: 'Mails a password reset link',
  description: 'Mails a single-use password reset link to the owner of the address. The answer is the same whether or not the address has an account; requests per address are rate limited.',
  auth: anyone,
  rateLimit: 'sensitive',
  request: {
    body: MailAddress,
  },
  success: {
    status: 202,
    description: 'Mail sent if the account exists',
    schema: Accepted,
  },
});

export const resetPassword = defineRoute({
  id: 'resetPassword',
  method: 'POST',
  path: '/v1/auth/password/reset',
  domain: 'identity',
  summary: 'Sets a new password with the token from the reset mail',
  description: 'Sets a new password with the single-use token from the reset mail and revokes every session of the account. A password the policy refuses is a 400 and leaves the token usable.',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: PasswordReset,
  },
  success: {
    status: 200,
    description: 'Password changed',
    schema: Accepted,
  },
});

export const getMe = defineRoute({
  id: 'getMe',
  method: 'GET',
  path: '/v1/me',
  domain: 'identity',
  summary: 'My account',
  description: "Answers the signed-in user's account: address, name, whether the address is verified and two-factor is on.",
  auth: signedIn,
  rateLimit: 'general',
  success: {
    status: 200,
    description: 'The account',
    schema: MeView,
  },
});

export const updateMe = defineRoute({
  id: 'updateMe',
  method: 'PATCH',
  path: '/v1/me',
  domain: 'identity',
  summary: 'Changes my name',
  description: "Changes the signed-in user's display name; an account changed meanwhile is a 412.",
  auth: signedIn,
  rateLimit: 'general',
  request: {
    body: NameChange,
  },
  success: {
    status: 200,
    description: 'The account',
    schema: MeView,
  },
  errors: [412],
});

export const changePassword = defineRoute({
  id: 'changePassword',
  method: 'POST',
  path: '/v1/me/password',
  domain: 'identity',
  summary: 'Changes my password',
  description: "Changes the signed-in user's password after the current one is given (401 otherwise) and revokes every other session; a new password the policy refuses is a 400.",
  auth: signedIn,
  rateLimit: 'sensitive',
  request: {
    body: PasswordChange,
  },
  success: {
    status: 200,
    description: 'Password changed',
    schema: Accepted,
  },
});

export const accountRoutes = [signup, verifyEmail, resendVerification, forgotPassword, resetPassword, getMe, updateMe, changePassword] as const;
