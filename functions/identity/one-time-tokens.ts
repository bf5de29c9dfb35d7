import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';

/**
 * Single-use secrets sent to a person (email verification, password reset) or handed to a client
 * between login steps (MFA). 256 random bits; only the SHA-256 is stored, under a key that names
 * the purpose, so a token of one purpose is worthless for another. Taking one deletes it.
 */
export const TokenLifetimeSeconds = {
  'verify-email': 24 * 3600,
  'password-reset': 30 * 60,
  'mfa-login': 5 * 60,
} as const;
export type TokenPurpose = keyof typeof TokenLifetimeSeconds;

/** What a token looks like on the wire: 32 bytes, base64url. */
export const SecretToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a valid token.');

const OneTimeTokens = defineEntity({
  name: 'one-time token',
  schema: z.object({ userId: z.string(), purpose: z.string(), createdAt: z.string() }),
  key: Keys.oneTimeToken,
});

export const newSecretToken = (): string => randomBytes(32).toString('base64url');
export const secretHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The write that stores a new token for `userId`; returns the token to send. */
export function issueOneTimeToken(purpose: TokenPurpose, userId: string, now: Date): { token: string; write: TransactWrite } {
  const token = newSecretToken();
  const write = OneTimeTokens.at(purpose, secretHash(token)).create({
    userId,
    purpose,
    createdAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + TokenLifetimeSeconds[purpose],
  });
  return { token, write };
}

/** Takes a token: the user it was issued to, or undefined if it is unknown, used or expired. */
export async function consumeOneTimeToken(table: Table, purpose: TokenPurpose, token: string, now: Date): Promise<string | undefined> {
  const stored = await table.take(OneTimeTokens.at(purpose, secretHash(token)), Math.floor(now.getTime() / 1000));
  return stored?.purpose === purpose ? stored.userId : undefined;
}
