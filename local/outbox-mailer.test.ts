import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxMailer } from './outbox-mailer';

const message = {
  to: 'ada@example.com',
  subject: 'Reset your Rampart password',
  text: 'Open http://127.0.0.1:8080/reset-password?token=secret-reset-token within an hour.',
};

describe('OutboxMailer', () => {
  let dataDir: string;
  let outbox: string;
  let lines: string[];
  let mailer: OutboxMailer;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rampart-outbox-'));
    outbox = join(dataDir, 'outbox');
    lines = [];
    mailer = new OutboxMailer(outbox, (line) => lines.push(line));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('send', () => {
    it('writes the message as JSON {to, subject, text} to a new file in the outbox', async () => {
      await mailer.send(message);
      const files = await readdir(outbox);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.json$/);
      expect(JSON.parse(await readFile(join(outbox, files[0]!), 'utf8'))).toEqual(message);
    });

    it('keeps the file to its owner (0600) and creates the outbox for its owner only (0700)', async () => {
      await mailer.send(message);
      const [file] = await readdir(outbox);
      expect((await stat(join(outbox, file!))).mode & 0o777).toBe(0o600);
      expect((await stat(outbox)).mode & 0o777).toBe(0o700);
    });

    it('announces one line naming the file, without the text, its token or the recipient', async () => {
      await mailer.send(message);
      const [file] = await readdir(outbox);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(join(outbox, file!));
      expect(lines[0]).not.toContain('token');
      expect(lines[0]).not.toContain('secret-reset-token');
      expect(lines[0]).not.toContain(message.to);
    });

    it('keeps the announcement on one line whatever the subject holds', async () => {
      await mailer.send({ ...message, subject: 'Hello\nmail: "forged" written to /etc/passwd' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(/[\r\n]/);
    });

    it('writes every message to a file of its own', async () => {
      await Promise.all(Array.from({ length: 5 }, (_, i) => mailer.send({ ...message, subject: `message ${i}` })));
      const files = await readdir(outbox);
      expect(files).toHaveLength(5);
      const subjects = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(outbox, f), 'utf8')).subject));
      expect(subjects.sort()).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
    });
  });
});
