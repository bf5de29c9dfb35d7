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

/**
 * Text a user typed, as it goes into a mail: quoted as data, with anything unprintable escaped
 * (a line break cannot start a header or a paragraph of its own, even in a record older than the
 * input rules).
 * @example `You are invited to join ${quoted(org.name)} on Rampart` // You are invited to join "Acme" on Rampart
 */
export const quoted = (text: string): string => JSON.stringify(text).replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
