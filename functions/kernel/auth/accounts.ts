import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Keys } from '../storage/keys';
import type { Table } from '../storage/table';

/**
 * The lookup key of an email address: the SHA-256 of its case-folded form. Accounts store it instead
 * of the address (which is sealed under the user's data key), so the address sits in no key and
 * other domains can compare addresses without reading one.
 */
export const emailLookupHash = (email: string): string => createHash('sha256').update(email.toLowerCase(), 'utf8').digest('hex');

/** What other domains may read of an account: the lookup hash of its address and whether it was proved. */
const AccountEmailProof = z.object({
  emailHash: z.string().optional(),
  emailVerified: z.boolean(),
});

/**
 * The lookup hash of the address a user proved they own, or `undefined` when the account does not
 * exist, has not verified its address, or predates hashed addresses.
 */
export async function verifiedEmailHashOf(table: Table, userId: string): Promise<string | undefined> {
  const account = await table.get(Keys.user(userId), AccountEmailProof, { consistent: true });
  return account?.emailVerified ? account.emailHash : undefined;
}

