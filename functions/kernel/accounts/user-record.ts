import { z } from 'zod';
import { defineEntity } from '../storage/entity';
import { Keys } from '../storage/keys';

/**
 * An account, at `USER#<userId>` / `PROFILE`: written by identity, read by the organizations that
 * let a person in (`account-proofs.ts`). No personal data is stored in the clear: the address and
 * the name are sealed under the user's data key; the address's lookup hash is kept to find the
 * account and to compare addresses.
 */
export const UserRecord = z.object({
  userId: z.string(),
  /** The address's lookup hash (`EmailIndex.lookupHash`; also the key of the `EMAIL#` claim). */
  emailHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The address, sealed under the user's data key (field `email`). */
  sealedEmail: z.string(),
  /** The display name, sealed under the user's data key (field `name`). */
  sealedName: z.string(),
  /** argon2id PHC string (parameters embedded, so they can be raised later). */
  passwordHash: z.string(),
  emailVerified: z.boolean(),
  emailVerifiedAt: z.string().optional(),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  passwordChangedAt: z.string(),
  /** Set when account deletion began: the account joins no organization any more. */
  deletionStartedAt: z.string().optional(),
  version: z.number(),
});
export type UserRecord = z.output<typeof UserRecord>;

export const Users = defineEntity({ name: 'user', schema: UserRecord, key: Keys.user });
