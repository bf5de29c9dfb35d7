import { ConflictError } from '../errors';
import { Conditions, Writes, type Table, type TransactWrite } from '../storage/table';
import { MembershipRecord } from './authorize';
import { orgPartition, TenantKeys, type OrgScope } from './org-scope';

/**
 * Memberships as the kernel sees them, for code outside the orgs domain that must change one (a
 * person deleting their account leaves every organization). Each change is audited by the caller
 * in the organization's chain, like any removal of a member.
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
 * The writes that remove a membership (under the version read) while keeping the organization
 * owned: when the member is an owner, every other owner must still be one at commit time, so two
 * owners leaving at once cannot leave it with none.
 */
export function removeMembershipWrites(scope: OrgScope, membership: MembershipRecord, others: readonly MembershipRecord[]): TransactWrite[] {
  const ownersChanged = () => new ConflictError('The owners of an organization changed meanwhile; try again.');
  const guard: TransactWrite[] =
    membership.role === 'owner'
      ? others.map((o) => ({
          item: {
            ConditionCheck: {
              TableName: '',
              Key: TenantKeys.member(scope, o.userId),
              ConditionExpression: '#role = :owner',
              ExpressionAttributeNames: { '#role': 'role' },
              ExpressionAttributeValues: { ':owner': 'owner' },
            },
          },
          onConditionFailed: ownersChanged,
        }))
      : [];
  return [Writes.delete(TenantKeys.member(scope, membership.userId), Conditions.versionIs(membership.version), () => new ConflictError('The membership changed meanwhile; try again.')), ...guard];
}
