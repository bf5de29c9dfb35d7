import type { MailMessage } from '../kernel/mail/mailer';

/** `90` → `2 minutes`, `7200` → `2 hours`: rounded up, in the largest unit that fits. */
const duration = (seconds: number): string => {
  const [value, unit] = seconds >= 3600 ? [Math.ceil(seconds / 3600), 'hour'] : seconds >= 60 ? [Math.ceil(seconds / 60), 'minute'] : [seconds, 'second'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
};

/** The mail Rampart sends about an account. Links carry tokens as `token=<value>`. */
export const Mail = {
  verifyEmail: (to: string, appUrl: string, token: string): MailMessage => ({
    to,
    subject: 'Verify your email address for Rampart',
    text: [
      'Welcome to Rampart.',
      '',
      'Confirm that this is your address by opening this link within 24 hours:',
      `${appUrl}/verify-email?token=${token}`,
      '',
      'If you did not sign up, ignore this message.',
    ].join('\n'),
  }),

  alreadyRegistered: (to: string, appUrl: string): MailMessage => ({
    to,
    subject: 'Someone tried to sign up to Rampart with your address',
    text: [
      'Someone, probably you, tried to create a Rampart account with this address, which already has one.',
      '',
      `To log in, go to ${appUrl}/login. If you forgot your password, reset it at ${appUrl}/forgot-password.`,
      '',
      'If this was not you, you can ignore this message: nothing about your account has changed.',
    ].join('\n'),
  }),

  resetPassword: (to: string, appUrl: string, token: string): MailMessage => ({
    to,
    subject: 'Reset your Rampart password',
    text: [
      'Someone asked to reset the password of your Rampart account.',
      '',
      'Open this link within 30 minutes to choose a new password:',
      `${appUrl}/reset-password?token=${token}`,
      '',
      'If this was not you, ignore this message; your password stays as it is.',
    ].join('\n'),
  }),

  passwordChanged: (to: string): MailMessage => ({
    to,
    subject: 'Your Rampart password was changed',
    text: 'The password of your Rampart account was just changed and every other session was signed out. If this was not you, reset your password at once.',
  }),

  secondFactorLocked: (to: string, lockedForSeconds: number): MailMessage => ({
    to,
    subject: 'Two-factor sign-in to your Rampart account is paused',
    text: [
      `Several wrong two-factor codes were given for your Rampart account, so code checks are paused for ${duration(lockedForSeconds)}.`,
      'Each further wrong code pauses them for longer.',
      '',
      'If this was not you, someone knows your password: change it at once (this signs out every other session).',
    ].join('\n'),
  }),

  /** Sent from the address opened just before it was shredded: nothing else of it remains. */
  accountDeleted: (to: string): MailMessage => ({
    to,
    subject: 'Your Rampart account was deleted',
    text: [
      'Your Rampart account was deleted, as you asked. Your sessions have ended, you left your organizations,',
      'and your personal data (this address, your name, your two-factor secret) can no longer be read by anyone.',
      '',
      'You can sign up again with this address at any time; the new account starts empty.',
    ].join('\n'),
  }),
} as const;
