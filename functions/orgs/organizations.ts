import { z } from 'zod';
import { mintOrgScope, type OrgScope } from '../kernel/auth/org-scope';
import { Roles, type Role } from '../kernel/auth/permissions';
import type { Principal } from '../kernel/auth/principal';
import { ForbiddenError, NotFoundError } from '../kernel/errors';
import { Ids } from '../kernel/ids';
import type { KeyProvider } from '../kernel/keys/key-provider';
import { createOrgKey } from '../kernel/keys/org-keys';
import { defineEntity } from '../kernel/storage/entity';
import { Keys, Listings } from '../kernel/storage/keys';
import type { Table, TransactWrite } from '../kernel/storage/table';
import { Writes } from '../kernel/storage/writes';
import { membershipsOfUser, membershipWrite } from '../kernel/tenancy/memberships';
import { getOrg, Orgs, type OrgRecord } from '../kernel/tenancy/org-record';

export const OrgView = z.object({ orgId: z.string(), name: z.string(), createdAt: z.string(), updatedAt: z.string() }).meta({ id: 'Organization' });
/** An organization as one of its members sees it: with their role in it. */
export const OrgMembershipView = OrgView.extend({ role: z.enum(Roles) }).meta({ id: 'OrganizationMembership' });
export const orgView = (o: OrgRecord): z.output<typeof OrgView> => ({ orgId: o.orgId, name: o.name, createdAt: o.createdAt, updatedAt: o.updatedAt });

/** The organization's projects as this domain sees them: only whether there are any (the projects domain owns them). */
const OrgProjects = defineEntity({ name: 'project', schema: z.looseObject({}), key: Keys.project, queries: { ofOrg: Listings.projectsOfOrg } });

/** The person behind a request: organizations are founded, listed and joined by people, never by API keys. */
export function userIdOf(principal: Principal | undefined): string {
  if (principal?.type !== 'user') throw new ForbiddenError('Only people manage organizations.');
  return principal.userId;
}

/** The organization, read consistently; its absence (deleted meanwhile) is a 404. */
export async function requireOrg(table: Table, scope: OrgScope): Promise<OrgRecord> {
  const org = await getOrg(table, scope);
  if (!org) throw new NotFoundError('No such organization.');
  return org;
}

/**
 * A new organization and its first owner. The scope may be minted here, outside the authorization
 * chain: nobody can be authorized for an organization that does not exist yet, and its creator is
 * by definition its owner.
 */
export async function createOrgWrites(
  keys: KeyProvider,
  name: string,
  ownerId: string,
  now: Date,
): Promise<{ scope: OrgScope; org: OrgRecord; writes: TransactWrite[] }> {
  const scope = mintOrgScope(Ids.org.generate());
  const at = now.toISOString();
  // The organization's key (version 1) is made with it: only its wrapped form and the env public
  // key are stored, so sealing secrets later needs no KMS call and cannot open them.
  const orgKeys = [{ ...(await createOrgKey(keys, scope.orgId, 1)), createdAt: at }];
  const org = { orgId: scope.orgId, name, createdAt: at, createdBy: ownerId, updatedAt: at, orgKeys, sealingKeyVersion: 1, version: 1 };
  const { version: _v, ...orgItem } = org;
  return { scope, org, writes: [Orgs.at(scope).putVersioned(orgItem, 0), membershipWrite(scope, ownerId, 'owner', now)] };
}

/** The organizations a user belongs to, with their role (memberships confirmed on the table), oldest first. */
export async function listOrgsOfUser(table: Table, userId: string): Promise<{ org: OrgRecord; role: Role }[]> {
  const memberships = await membershipsOfUser(table, userId);
  const orgs = await Promise.all(
    memberships.map(async ({ scope, membership }) => {
      const org = await getOrg(table, scope);
      return org ? { org, role: membership.role } : undefined;
    }),
  );
  return orgs.filter((o) => o !== undefined).sort((a, b) => (a.org.createdAt < b.org.createdAt ? -1 : 1));
}

/** Whether the organization still owns any project (it cannot be deleted while it does). */
export async function hasProjects(table: Table, scope: OrgScope): Promise<boolean> {
  const page = await table.queryPage(OrgProjects.query.ofOrg(scope), { limit: 1, consistent: true });
  return page.items.length > 0;
}

/** Whether the organization owns this project (consistent). */
export const projectExists = (table: Table, scope: OrgScope, projectId: string): Promise<boolean> => table.exists(OrgProjects.at(scope, projectId));

/**
 * Deletes every item of the organization's partition, whatever entity it belongs to (once its
 * projects are gone): the organization, its members, invitations, API keys and key rotation.
 */
export async function deleteOrgWrites(table: Table, scope: OrgScope): Promise<TransactWrite[]> {
  const keys = await table.queryKeys(Orgs.query.items(scope));
  return keys.map((key) => Writes.delete(key));
}
