import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { MailMessage, Mailer } from './mailer';

export interface SesMailerOptions {
  /** The verified SES identity mail is sent from (the only one the function may use). */
  readonly from: string;
  readonly client?: SESv2Client;
}

/** The mail port on Amazon SES (v2 SendEmail, simple text content). */
export class SesMailer implements Mailer {
  readonly #client: SESv2Client;

  constructor(private readonly options: SesMailerOptions) {
    this.#client = options.client ?? new SESv2Client({});
  }

  async send(message: MailMessage): Promise<void> {
    await this.#client.send(
      new SendEmailCommand({
        FromEmailAddress: this.options.from,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}
