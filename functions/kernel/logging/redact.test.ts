import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger';
import { isSensitiveKey, REDACTED, redactingReplacer, scrubString } from './redact';

const JWT = 'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1XzEiLCJzaWQiOiJzXzEifQ.c2lnbmF0dXJlLWJ5dGVz';
const API_KEY = 'rmp_k1a2b3c4_0123456789abcdefghijklmnopqrstuv';
const PASSWORD = 'Tr0ub4dor&3-horse-staple';
const ENV_VALUE = 'postgres://app:s3cr3t-db-pass@db.internal:5432/app';

/** Captures what the logger writes, as Lambda's stdout would receive it. */
function captureLogs() {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
  return lines;
}

describe('redact', () => {
  afterEach(() => vi.restoreAllMocks());

  describe('isSensitiveKey', () => {
    it.each(['password', 'newPassword', 'current_password', 'Authorization', 'cookie', 'Set-Cookie', 'x-api-key', 'apiKey', 'refreshToken', 'accessToken', 'mfaToken', 'clientSecret', 'privateKey', 'value', 'body', 'totpSecret', 'recoveryCodes', 'email'])(
      'treats %s as sensitive',
      (key) => expect(isSensitiveKey(key)).toBe(true),
    );
    it.each(['requestId', 'name', 'orgId', 'status', 'method', 'resource', 'code', 'version'])('keeps %s', (key) => expect(isSensitiveKey(key)).toBe(false));
  });

  describe('scrubString', () => {
    it('removes tokens, API keys and credentials embedded in free text', () => {
      const text = `login ok Bearer ${JWT} key=${API_KEY} password=${PASSWORD} then "secret":"${PASSWORD}" and token is ${PASSWORD}`;
      const out = scrubString(text);
      for (const secret of [JWT, API_KEY, PASSWORD]) expect(out).not.toContain(secret);
      expect(out).toContain('login ok');
    });

    it('removes a PEM private key block', () => {
      const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB\n-----END PRIVATE KEY-----';
      expect(scrubString(`key: ${pem}`)).not.toContain('MC4CAQAwBQYDK2VwBCIEIB');
    });
  });

  describe('redactingReplacer', () => {
    it('redacts sensitive keys at any depth, in arrays too', () => {
      const out = JSON.parse(
        JSON.stringify({ a: { b: [{ password: PASSWORD }, { headers: { Authorization: `Bearer ${JWT}` } }] }, value: ENV_VALUE }, redactingReplacer),
      );
      expect(out).toEqual({ a: { b: [{ password: REDACTED }, { headers: { Authorization: REDACTED } }] }, value: REDACTED });
    });
  });

  describe('createLogger', () => {
    it('never writes a secret, whatever shape the caller passes', () => {
      const lines = captureLogs();
      const logger = createLogger('redaction-test');
      logger.setLogLevel('DEBUG');
      logger.appendKeys({ authorization: `Bearer ${JWT}` });
      logger.info(`user typed password=${PASSWORD}`);
      logger.info('signup', { email: 'a@example.com', password: PASSWORD, nested: { deeper: { refreshToken: API_KEY } } });
      logger.debug({ message: 'headers', headers: { Cookie: `session=${API_KEY}`, 'x-api-key': API_KEY } });
      logger.warn('env var set', { name: 'DATABASE_URL', value: ENV_VALUE });
      logger.error('failed', new Error(`could not use ${API_KEY} with token ${JWT}`));
      logger.info('event', { event: { body: JSON.stringify({ password: PASSWORD }), headers: { Authorization: JWT } } });
      logger.info('list', { items: [JWT, API_KEY] });
      logger.info('invited bob@example.org to the org');
      vi.restoreAllMocks();

      expect(lines.length).toBe(8);
      const all = lines.join('\n');
      for (const secret of [JWT, API_KEY, PASSWORD, ENV_VALUE, 's3cr3t-db-pass', 'a@example.com', 'bob@example.org']) expect(all).not.toContain(secret);
      // Still useful: messages and harmless fields survive.
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(all).toContain('DATABASE_URL');
      expect(all).toContain('"service":"rampart-redaction-test"');
    });
  });
});
