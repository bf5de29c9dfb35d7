import { z } from 'zod';
import type { OrgScope } from '../kernel/auth/org-scope';
import type { Principal } from '../kernel/auth/principal';
import { RoleRank, Roles, type Role } from '../kernel/auth/permissions';
import { ConflictError, ForbiddenError } from '../kernel/errors';
import type { Table } from '../kernel/storage/table';
import { otherOwners, type MembershipRecord } from '../kernel/tenancy/memberships';

/** A member as the organization sees them. */
export const MemberView = z.object({ userId: z.string(), role: z.enum(Roles), joinedAt: z.string() }).meta({ id: 'Member' });
export const memberView = (m: MembershipRecord): z.output<typeof MemberView> => ({ userId: m.userId, role: m.role, joinedAt: m.joinedAt });

/** Who grants or changes a role: a person or an API key, with its (effective) role in the organization. */
export interface Grantor {
  readonly type: Principal['type'];
  readonly role: Role;
}

const privileged = (r: Role | undefined) => r !== undefined && RoleRank[r] >= RoleRank.admin;

/**
 * Why `grantor` may not take a member from `targetRole` to `newRole` (or remove them, without
 * `newRole`), or `undefined` when it may. Owner and admin are granted, changed and removed by
 * people who are owners: an admin is not an owner, and a key is not a person (else an owner's key
 * could mint owners, who then issue keys).
 */
export function grantRefusal(grantor: Grantor, targetRole: Role, newRole?: Role): string | undefined {
  if (!privileged(targetRole) && !privileged(newRole)) return undefined;
  if (grantor.type !== 'user') return 'Only a person, not an API key, grants, changes or removes the owner and admin roles.';
  if (grantor.role !== 'owner') return 'Only owners grant, change or remove the owner and admin roles.';
  return undefined;
}

/** @throws ForbiddenError (403) when `grantRefusal` refuses. */
export function assertMayManage(grantor: Grantor, targetRole: Role, newRole?: Role): void {
  const refusal = grantRefusal(grantor, targetRole, newRole);
  if (refusal) throw new ForbiddenError(refusal);
}

/**
 * The other owners that must still be owners at commit time when `target` (an owner) loses the
 * role, so two owners cannot demote each other at once; none left is a conflict.
 */
export async function lastOwnerGuard(table: Table, scope: OrgScope, target: MembershipRecord): Promise<MembershipRecord[]> {
  if (target.role !== 'owner') return [];
  const others = await otherOwners(table, scope, target.userId);
  if (others.length === 0) throw new ConflictError('An organization keeps at least one owner; make someone else owner first.');
  return others;
}
