import { z } from 'zod';
import { listApiKeys, revokeApiKeyWrites } from '../auth/api-key-records';
import { mintOrgScope, type OrgScope } from '../auth/org-scope';
import { Roles, type Role } from '../auth/permissions';
import { ConflictError } from '../errors';
import { Conditions } from '../storage/conditions';
import { defineEntity } from '../storage/entity';
import { IndexKeys, Keys, Listings } from '../storage/keys';
import type { Table, TransactWrite } from '../storage/table';

/**
 * Memberships: a person's place in an organization, read by the authorization chain on every
 * request, listed by the orgs domain, and removed by the orgs domain or by a person deleting their
 * account (`memberRemovalWrites`, which revokes the member's API keys with it). Each change is
 * audited by the caller in the organization's chain.
 */

/** A membership, at `ORG#<orgId>` / `MEMBER#<userId>`, listed under its user through gsi1. */
export const MembershipRecord = z.object({
  orgId: z.string(),
  userId: z.string(),
  role: z.enum(Roles),
  joinedAt: z.string(),
  version: z.number(),
});
export type MembershipRecord = z.output<typeof MembershipRecord>;

export const Memberships = defineEntity({
  name: 'membership',
  schema: MembershipRecord,
  key: Keys.member,
  indexKeys: (_attributes, scope: OrgScope, userId: string) => IndexKeys.membershipOfUser(scope, userId),
  queries: { ofOrg: Listings.membersOfOrg, ofUser: Listings.membershipsOfUser },
});

export async function getMembership(table: Table, scope: OrgScope, userId: string): Promise<MembershipRecord | undefined> {
  return table.read(Memberships.at(scope, userId));
}

/** A new membership. */
export function membershipWrite(scope: OrgScope, userId: string, role: Role, now: Date): TransactWrite {
  return Memberships.at(scope, userId).putVersioned({ orgId: scope.orgId, userId, role, joinedAt: now.toISOString() }, 0);
}

/** A member's new role, under the version read. */
export function changeRoleWrite(scope: OrgScope, membership: MembershipRecord, role: Role): TransactWrite {
  return Memberships.at(scope, membership.userId).replace({ ...membership, role });
}

/** Every member of an organization (consistent). */
export async function membersOf(table: Table, scope: OrgScope): Promise<MembershipRecord[]> {
  return table.queryAll(Memberships.query.ofOrg(scope), { consistent: true });
}

/**
 * The organizations a user belongs to, each with the proof to act on its membership: the user's
 * index (gsi1, eventually consistent) lists candidates, and a consistent read of each membership
 * confirms it. A membership is itself the proof that lets its organization's scope be minted here.
 */
export async function membershipsOfUser(table: Table, userId: string): Promise<{ scope: OrgScope; membership: MembershipRecord }[]> {
  const candidates = await table.queryAll(Memberships.query.ofUser(userId));
  const confirmed = await Promise.all(
    candidates.map(async (candidate) => {
      const scope = mintOrgScope(candidate.orgId);
      const membership = await getMembership(table, scope, userId);
      return membership ? { scope, membership } : undefined;
    }),
  );
  return confirmed.filter((m) => m !== undefined);
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
  return others.map((o) =>
    Memberships.at(scope, o.userId).check(Conditions.attributeIs('role', 'owner'), () => new ConflictError('The owners of the organization changed meanwhile; try again.')),
  );
}

/**
 * A condition that the member still holds one of `roles` when the transaction commits: a right
 * checked before the change (an inviter's, say) cannot be lost meanwhile.
 */
export function roleStillOneOfCheck(scope: OrgScope, userId: string, roles: readonly Role[], onConditionFailed: () => Error): TransactWrite {
  return Memberships.at(scope, userId).check(Conditions.any(...roles.map((role) => Conditions.attributeIs('role', role))), onConditionFailed);
}

/**
 * The writes that remove a membership (under the version read) while keeping the organization
 * owned: when the member is an owner, every other owner must still be one at commit time. Without
 * the member's API keys: removing a member goes through `memberRemovalWrites`.
 */
function removeMembershipWrites(scope: OrgScope, membership: MembershipRecord, others: readonly MembershipRecord[]): TransactWrite[] {
  return [
    Memberships.at(scope, membership.userId).delete({
      when: Conditions.versionIs(membership.version),
      onConditionFailed: () => new ConflictError('The membership changed meanwhile; try again.'),
    }),
    ...(membership.role === 'owner' ? ownersRemainWrites(scope, others) : []),
  ];
}

/** What removing a member writes, and how many of their API keys it revokes (for the audit record). */
export interface MemberRemoval {
  readonly writes: TransactWrite[];
  readonly keysRevoked: number;
}

/**
 * Removing a member: the membership (as `removeMembershipWrites`) and, for good, every API key the
 * member created in the organization (lookup item revoked with reason `creator_removed`, listing
 * record deleted), so that a member invited back does not find their old keys alive again. Commit
 * with `AuditTrail.commitInBatches`: the membership comes first, so it and as many keys as fit
 * land with the audit record; further keys are revoked right after, each revocation safe on its own.
 *
 * @example
 * const removal = await memberRemovalWrites(table, scope, membership, others, new Date());
 * await audit.commitInBatches(orgAuditEntry(ctx, scope, 'member.removed', { type: 'user', id: membership.userId }, { role: membership.role, keysRevoked: removal.keysRevoked }), removal.writes);
 */
export async function memberRemovalWrites(table: Table, scope: OrgScope, membership: MembershipRecord, others: readonly MembershipRecord[], now: Date): Promise<MemberRemoval> {
  const keys = (await listApiKeys(table, scope)).filter((key) => key.createdBy === membership.userId);
  const changed = () => new ConflictError("The member's API keys changed meanwhile; try again.");
  return {
    writes: [...removeMembershipWrites(scope, membership, others), ...keys.flatMap((key) => revokeApiKeyWrites(scope, key.keyId, 'creator_removed', now, changed))],
    keysRevoked: keys.length,
  };
}
