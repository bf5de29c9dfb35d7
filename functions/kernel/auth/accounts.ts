import { z } from 'zod';
import { ConflictError } from '../errors';
import { Keys } from '../storage/keys';
import { TableDefinition } from '../storage/table-definition';
import type { Table, TransactWrite } from '../storage/table';

/** The account attribute set when its deletion begins (identity's `UserRecord.deletionStartedAt`). */
export const DELETION_STARTED_ATTRIBUTE = 'deletionStartedAt';

/**
 * What other domains may read of an account: the lookup hash of its address (`EmailIndex.lookupHash`;
 * the address itself is sealed under the user's data key) and whether it was proved.
 */
const AccountEmailProof = z.object({
  emailHash: z.string().optional(),
  emailVerified: z.boolean(),
  deletionStartedAt: z.string().optional(),
});

/**
 * The lookup hash of the address a user proved they own, or `undefined` when the account does not
 * exist, has not verified its address, predates hashed addresses, or is being deleted.
 */
export async function verifiedEmailHashOf(table: Table, userId: string): Promise<string | undefined> {
  const account = await table.get(Keys.user(userId), AccountEmailProof, { consistent: true });
  return account?.emailVerified && !account.deletionStartedAt ? account.emailHash : undefined;
}

/**
 * A transaction item that holds only while the account exists and is not being deleted: whatever
 * gives a person a place in an organization (creating one, accepting an invitation) carries it, so
 * no membership appears once deletion has begun.
 */
export function accountActiveCheck(userId: string): TransactWrite {
  return {
    item: {
      ConditionCheck: {
        TableName: '',
        Key: Keys.user(userId),
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#deletion)',
        ExpressionAttributeNames: { '#pk': TableDefinition.partitionKey, '#deletion': DELETION_STARTED_ATTRIBUTE },
      },
    },
    onConditionFailed: () => new ConflictError('This account is being deleted.'),
  };
}
