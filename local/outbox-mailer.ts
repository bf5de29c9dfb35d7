import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailMessage, Mailer } from '../functions/kernel/mail/mailer';

/**
 * The mail port for `npm start` and tests, standing in for SES: each message becomes a JSON file
 * `{to, subject, text}` in the outbox directory (mode 0600, since it holds live tokens), and one
 * line says that mail was written, without its content.
 */
export class OutboxMailer implements Mailer {
  constructor(
    readonly directory: string,
    private readonly announce: (line: string) => void = (line) => console.log(line),
  ) {}

  async send(message: MailMessage): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.json`;
    const path = join(this.directory, name);
    // `wx`: a new file only, never through an existing file or link of the same name.
    await writeFile(path, `${JSON.stringify({ to: message.to, subject: message.subject, text: message.text }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    // The subject JSON-quoted, so that it cannot break the announcement into several lines.
    this.announce(`mail: ${JSON.stringify(message.subject)} written to ${path}`);
  }
}
