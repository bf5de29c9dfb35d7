import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConflictError } from '../kernel/errors';
import { Keys } from '../kernel/storage/keys';
import { Conditions, Writes, type Table, type TransactWrite } from '../kernel/storage/table';
import { emailLookupHash } from './email';

/** An account, at `USER#<userId>` / `PROFILE`. */
export const UserRecord = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  /** argon2id PHC string (parameters embedded, so they can be raised later). */
  passwordHash: z.string(),
  emailVerified: z.boolean(),
  emailVerifiedAt: z.string().optional(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  passwordChangedAt: z.string(),
  version: z.number(),
});
export type UserRecord = z.output<typeof UserRecord>;

const EmailLookup = z.object({ userId: z.string() });

export const newUserId = (): string => `u_${randomBytes(16).toString('hex')}`;

/** Thrown when signing up with an address that already has an account (never shown to the client). */
export class EmailTakenError extends ConflictError {
  constructor() {
    super('An account with this email already exists.');
  }
}

export async function getUser(table: Table, userId: string): Promise<UserRecord | undefined> {
  return table.get(Keys.user(userId), UserRecord);
}

export async function findUserByEmail(table: Table, email: string): Promise<UserRecord | undefined> {
  const lookup = await table.get(Keys.userByEmail(emailLookupHash(email)), EmailLookup);
  return lookup ? getUser(table, lookup.userId) : undefined;
}

/** The writes that create an account and claim its address; the address claim fails if taken. */
export function createUserWrites(user: Omit<UserRecord, 'version'>): TransactWrite[] {
  return [
    Writes.putVersioned({ ...Keys.user(user.userId), ...user }, 0),
    Writes.put({ ...Keys.userByEmail(emailLookupHash(user.email)), userId: user.userId }, Conditions.notExists, () => new EmailTakenError()),
  ];
}

/** Replaces a user under optimistic locking (the version read is the version expected). */
export function updateUserWrite(user: UserRecord): TransactWrite {
  const { version, ...rest } = user;
  return Writes.putVersioned({ ...Keys.user(user.userId), ...rest }, version);
}

/** The public view of an account: what `GET /v1/me` returns. */
export const MeView = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  emailVerified: z.boolean(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
});
export const meView = (user: UserRecord): z.output<typeof MeView> => ({
  userId: user.userId,
  email: user.email,
  name: user.name,
  emailVerified: user.emailVerified,
  mfaEnabled: user.mfaEnabled,
  createdAt: user.createdAt,
});
