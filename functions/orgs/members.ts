import { z } from 'zod';
import type { OrgScope } from '../kernel/auth/org-scope';
import { RoleRank, Roles, type Role } from '../kernel/auth/permissions';
import { ConflictError, ForbiddenError } from '../kernel/errors';
import type { Table } from '../kernel/storage/table';
import { otherOwners, type MembershipRecord } from '../kernel/tenancy/memberships';

/** A member as the organization sees them. */
export const MemberView = z.object({ userId: z.string(), role: z.enum(Roles), joinedAt: z.string() }).meta({ id: 'Member' });
export const memberView = (m: MembershipRecord): z.output<typeof MemberView> => ({ userId: m.userId, role: m.role, joinedAt: m.joinedAt });

/** Owner and admin are granted, changed and removed by owners only: an admin is not an owner. */
export function assertMayManage(callerRole: Role, targetRole: Role, newRole?: Role): void {
  const privileged = (r: Role | undefined) => r !== undefined && RoleRank[r] >= RoleRank.admin;
  if ((privileged(targetRole) || privileged(newRole)) && callerRole !== 'owner') {
    throw new ForbiddenError('Only owners grant, change or remove the owner and admin roles.');
  }
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
