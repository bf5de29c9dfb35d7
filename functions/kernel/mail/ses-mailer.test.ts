import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SesMailer } from './ses-mailer';

const ses = mockClient(SESv2Client);
const client = () => new SESv2Client({ region: 'eu-west-1' });

describe('SesMailer', () => {
  afterEach(() => ses.reset());

  describe('send', () => {
    it('sends one plain-text message from the configured address to the one recipient', async () => {
      ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
      const mailer = new SesMailer({ from: 'no-reply@mail.acme.test', client: client() });
      await mailer.send({ to: 'ada@example.com', subject: 'Verify your email address', text: 'Open https://app/verify-email?token=t0k3n' });

      const calls = ses.commandCalls(SendEmailCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input).toEqual({
        FromEmailAddress: 'no-reply@mail.acme.test',
        Destination: { ToAddresses: ['ada@example.com'] },
        Content: {
          Simple: {
            Subject: { Data: 'Verify your email address', Charset: 'UTF-8' },
            Body: { Text: { Data: 'Open https://app/verify-email?token=t0k3n', Charset: 'UTF-8' } },
          },
        },
      });
    });

    it('sends no HTML body, no copies and no other recipients', async () => {
      ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
      await new SesMailer({ from: 'no-reply@mail.acme.test', client: client() }).send({ to: 'ada@example.com', subject: 's', text: 't' });
      const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
      expect(input.Content?.Simple?.Body?.Html).toBeUndefined();
      expect(input.Destination).toEqual({ ToAddresses: ['ada@example.com'] });
      expect(input.ReplyToAddresses).toBeUndefined();
    });

    it('passes an SES refusal to the caller rather than reporting the mail as sent', async () => {
      const refusal = Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' });
      ses.on(SendEmailCommand).rejects(refusal);
      const mailer = new SesMailer({ from: 'no-reply@mail.acme.test', client: client() });
      await expect(mailer.send({ to: 'ada@example.com', subject: 's', text: 't' })).rejects.toMatchObject({ name: 'MessageRejected' });
    });
  });
});
