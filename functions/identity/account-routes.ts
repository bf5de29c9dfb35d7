import { z } from 'zod';
import { anyone, defineRoute, signedIn } from '../kernel/http/route';
import { Accepted } from '../kernel/http/schemas';
import { MeView, Name, Password } from './account';
import { EmailAddress } from './email';
import { SecretToken } from './one-time-tokens';
import { containsEmail, NewPassword, PasswordRejectionMessages } from './password-policy';

/** Every problem of a signup at once: the address rule runs whenever both fields are there to compare. */
const NewAccount = z.object({ email: EmailAddress, password: NewPassword, name: Name }).superRefine(
  ({ email, password }, ctx) => {
    if (containsEmail(password, email)) ctx.addIssue({ code: 'custom', path: ['password'], message: PasswordRejectionMessages.contains_email });
  },
  { when: ({ value }) => typeof (value as { email?: unknown })?.email === 'string' && typeof (value as { password?: unknown })?.password === 'string' },
);
/** The token from the mail, and the password given at signup: proving the mailbox alone does not hand over an account someone else set up. */
const EmailVerification = z.object({ token: SecretToken, password: Password });
/** The address a verification or reset link is mailed to. */
const MailAddress = z.object({ email: EmailAddress }).meta({ id: 'MailAddress' });
const PasswordReset = z.object({ token: SecretToken, password: NewPassword });
const NameChange = z.object({ name: Name });
const PasswordChange = z.object({ currentPassword: Password, newPassword: NewPassword });

export const signup = defineRoute({
  id: 'signup',
  method: 'POST',
  path: '/v1/auth/signup',
  domain: 'identity',
  summary: 'Signs up and mails a verification link',
  description:
    'Accepts a signup and mails the address a link that proves it; the account is created (or, for an address whose account is not verified yet, takes this password and name) as the mail goes out. The answer and the time it takes are the same whether or not the address has an account (a verified owner is mailed a note instead). A password the policy refuses is a 400; too many mails to the address, a 429.',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: NewAccount,
  },
  success: {
    status: 202,
    description: 'Signup accepted: the verification mail is on its way',
    schema: Accepted,
  },
});

export const verifyEmail = defineRoute({
  id: 'verifyEmail',
  method: 'POST',
  path: '/v1/auth/verify-email',
  domain: 'identity',
  summary: 'Proves ownership of the email address',
  description:
    'Verifies the address with the single-use token from the latest verification mail and the password given at signup (a wrong password is a 400 and leaves the token usable). An unknown, used or expired token is refused, and so is one mailed before the account last changed its password.',
  auth: anyone,
  rateLimit: 'auth',
  request: {
    body: EmailVerification,
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
  description:
    'Sets a new password with the single-use token from the reset mail and revokes every session of the account. A password the policy refuses is a 400 and leaves the token usable; a token mailed before the password last changed is refused.',
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
  rateLimit: 'reauth',
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
