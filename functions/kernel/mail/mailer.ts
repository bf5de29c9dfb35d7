/**
 * The mail port: Amazon SES in AWS, JSON files in `<data dir>/outbox/` locally.
 * A message is plain text; links in it carry tokens as `token=<value>`.
 */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
