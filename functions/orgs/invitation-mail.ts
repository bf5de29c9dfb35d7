import { quoted, type MailMessage } from '../kernel/mail/mailer';

/** The mail that carries an invitation's link (the only place its token goes). */
export const invitationMail = (to: string, orgName: string, role: string, appUrl: string, token: string): MailMessage => ({
  to,
  subject: `You are invited to join ${quoted(orgName)} on Rampart`,
  text: [
    `You have been invited to join the organization ${quoted(orgName)} on Rampart as ${role}.`,
    '',
    'Sign in (or sign up with this address), then open this link within 7 days to accept:',
    `${appUrl}/invitations/accept?token=${token}`,
    '',
    'If you did not expect this, ignore this message.',
  ].join('\n'),
});
