import { ConflictError } from '../errors';
import { Conditions, Writes, type Table, type TransactWrite } from '../storage/table';
import { MembershipRecord } from './authorize';
import { orgPartition, TenantKeys, type OrgScope } from './org-scope';

/**
 * Memberships as the kernel sees them: listing an organization's members and the writes that
 * remove one or take the owner role away, shared by the orgs domain and by a person deleting their
 * account. Each change is audited by the caller in the organization's chain.
 */

/** Every member of an organization (consistent). */
export async function membersOf(table: Table, scope: OrgScope): Promise<MembershipRecord[]> {
  const out: MembershipRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ schema: MembershipRecord, partition: orgPartition(scope), sortKeyPrefix: 'MEMBER#', consistent: true, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** The organization's owners other than `userId`. */
export async function otherOwners(table: Table, scope: OrgScope, userId: string): Promise<MembershipRecord[]> {
  return (await membersOf(table, scope)).filter((m) => m.role === 'owner' && m.userId !== userId);
}

/**
 * Conditions that every one of `others` is still an owner when the transaction commits: carried by
 * any change that takes the owner role from someone, so two owners leaving or demoting each other
 * at once cannot leave the organization with none.
 */
export function ownersRemainWrites(scope: OrgScope, others: readonly MembershipRecord[]): TransactWrite[] {
  return others.map((o) => ({
    item: {
      ConditionCheck: {
        TableName: '',
        Key: TenantKeys.member(scope, o.userId),
        ConditionExpression: '#role = :owner',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':owner': 'owner' },
      },
    },
    onConditionFailed: () => new ConflictError('The owners of the organization changed meanwhile; try again.'),
  }));
}

/**
 * The writes that remove a membership (under the version read) while keeping the organization
 * owned: when the member is an owner, every other owner must still be one at commit time.
 */
export function removeMembershipWrites(scope: OrgScope, membership: MembershipRecord, others: readonly MembershipRecord[]): TransactWrite[] {
  return [
    Writes.delete(TenantKeys.member(scope, membership.userId), Conditions.versionIs(membership.version), () => new ConflictError('The membership changed meanwhile; try again.')),
    ...(membership.role === 'owner' ? ownersRemainWrites(scope, others) : []),
  ];
}
