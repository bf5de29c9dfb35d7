import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { UserRecord } from '../kernel/accounts/user-record';
import { InvalidTokenError } from '../kernel/errors';
import { Conditions } from '../kernel/storage/conditions';
import { defineEntity } from '../kernel/storage/entity';
import { Keys } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';

/**
 * Single-use secrets sent to a person (email verification, password reset) or handed to a client
 * between login steps (MFA). 256 random bits; only the SHA-256 is stored, under a key that names
 * the purpose, so a token of one purpose is worthless for another. Using one deletes it, and a
 * token is bound to the credentials its account held when it was issued (`isIssuedFor`).
 */
export const TokenLifetimeSeconds = {
  'verify-email': 24 * 3600,
  'password-reset': 30 * 60,
  'mfa-login': 5 * 60,
} as const;
export type TokenPurpose = keyof typeof TokenLifetimeSeconds;

/** What a token looks like on the wire: 32 bytes, base64url. */
export const SecretToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a valid token.');

const StoredToken = z.object({
  userId: z.string(),
  purpose: z.string(),
  /** The account's credentials when the token was issued (`passwordChangedAt`); see `isIssuedFor`. */
  credentialsStamp: z.string(),
  createdAt: z.string(),
  expiresAt: z.number(),
});
export type StoredToken = z.output<typeof StoredToken>;

const OneTimeTokens = defineEntity({ name: 'one-time token', schema: StoredToken, key: Keys.oneTimeToken });

export const newSecretToken = (): string => randomBytes(32).toString('base64url');
export const secretHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The account a token is issued to: its id and the stamp of its current credentials. */
export type TokenHolder = Pick<UserRecord, 'userId' | 'passwordChangedAt'>;

/**
 * Whether a token still speaks for the account: issued to it, under the credentials it holds now.
 * Every change of credentials (a password change or reset, a signup that replaces an unverified
 * account's password) moves `passwordChangedAt`, which ends every token issued before it, without
 * having to find and delete them.
 */
export const isIssuedFor = (stored: StoredToken, user: TokenHolder): boolean =>
  stored.userId === user.userId && stored.credentialsStamp === user.passwordChangedAt;

/** The write that stores a new token for `user`; returns the token to send. */
export function issueOneTimeToken(purpose: TokenPurpose, user: TokenHolder, now: Date): { token: string; write: TransactWrite } {
  const token = newSecretToken();
  const write = OneTimeTokens.at(purpose, secretHash(token)).create({
    userId: user.userId,
    purpose,
    credentialsStamp: user.passwordChangedAt,
    createdAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + TokenLifetimeSeconds[purpose],
  });
  return { token, write };
}

/** Looks a token up without spending it (its holder may still have to pass a check): undefined if unknown or expired. */
export async function readOneTimeToken(table: Table, purpose: TokenPurpose, token: string, now: Date): Promise<StoredToken | undefined> {
  const stored = await table.read(OneTimeTokens.at(purpose, secretHash(token)));
  return stored && stored.purpose === purpose && stored.expiresAt > Math.floor(now.getTime() / 1000) ? stored : undefined;
}

/** The write that spends a token read with `readOneTimeToken`, in the transaction of what it unlocks: of two concurrent uses, one fails. */
export const spendOneTimeTokenWrite = (purpose: TokenPurpose, token: string): TransactWrite =>
  OneTimeTokens.at(purpose, secretHash(token)).delete({ when: Conditions.exists, onConditionFailed: () => new InvalidTokenError() });

/** Takes a token at once (deletes it): what it held, or undefined if it is unknown, used or expired. */
export async function consumeOneTimeToken(table: Table, purpose: TokenPurpose, token: string, now: Date): Promise<StoredToken | undefined> {
  const stored = await table.take(OneTimeTokens.at(purpose, secretHash(token)), Math.floor(now.getTime() / 1000));
  return stored?.purpose === purpose ? stored : undefined;
}
