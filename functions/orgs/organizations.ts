import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MembershipRecord, membershipsOfUser } from '../kernel/tenancy/memberships';
import { mintOrgScope, type OrgScope } from '../kernel/auth/org-scope';
import { Keys as TenantKeys, Listings, orgPartition } from '../kernel/storage/keys';
import type { Role } from '../kernel/auth/permissions';
import { getOrg, OrgRecord } from '../kernel/tenancy/org-record';
import { createOrgKey } from '../kernel/keys/org-keys';
import type { KeyProvider } from '../kernel/keys/key-provider';
import { Keys } from '../kernel/storage/keys';
import { Writes, type TransactWrite } from '../kernel/storage/writes';
import { type Table } from '../kernel/storage/table';

// The record itself lives in the kernel, shared with the domains that work inside an organization.
export { currentOrgKey, getOrg, OrgKeyRecordSchema, OrgRecord, updateOrgWrite } from '../kernel/tenancy/org-record';

export const OrgView = z.object({ orgId: z.string(), name: z.string(), createdAt: z.string(), updatedAt: z.string() });
export const orgView = (o: OrgRecord): z.output<typeof OrgView> => ({ orgId: o.orgId, name: o.name, createdAt: o.createdAt, updatedAt: o.updatedAt });

const newOrgId = () => `o_${randomBytes(16).toString('hex')}`;

/**
 * A new organization and its first owner. Minting the scope here is the one place outside the
 * authorization chain that may do so: nobody can be authorized for an organization that does not
 * exist yet, and its creator is by definition its owner.
 */
export async function createOrgWrites(
  keys: KeyProvider,
  name: string,
  ownerId: string,
  now: Date,
): Promise<{ scope: OrgScope; org: OrgRecord; writes: TransactWrite[] }> {
  const scope = mintOrgScope(newOrgId());
  const at = now.toISOString();
  // The organization's key (version 1) is made with it: only its wrapped form and the env public
  // key are stored, so sealing secrets later needs no KMS call and cannot open them.
  const orgKeys = [{ ...(await createOrgKey(keys, scope.orgId, 1)), createdAt: at }];
  const org = { orgId: scope.orgId, name, createdAt: at, createdBy: ownerId, updatedAt: at, orgKeys, sealingKeyVersion: 1, version: 1 };
  const { version: _v, ...orgItem } = org;
  return {
    scope,
    org,
    writes: [Writes.putVersioned({ ...TenantKeys.org(scope), ...orgItem }, 0), membershipWrite(scope, ownerId, 'owner', now)],
  };
}

/** A membership is listed under its user through gsi1 (`USER#<userId>` / `ORG#<orgId>`). */
export const memberIndexKeys = (scope: OrgScope, userId: string) => ({ gsi1pk: Keys.userPartition(userId), gsi1sk: orgPartition(scope) });

/** A new membership. */
export function membershipWrite(scope: OrgScope, userId: string, role: Role, now: Date): TransactWrite {
  return Writes.putVersioned({ ...TenantKeys.member(scope, userId), orgId: scope.orgId, userId, role, joinedAt: now.toISOString(), ...memberIndexKeys(scope, userId) }, 0);
}


/** The organizations a user belongs to, with their role (memberships confirmed on the table). */
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

export async function getMembership(table: Table, scope: OrgScope, userId: string): Promise<MembershipRecord | undefined> {
  return table.get(TenantKeys.member(scope, userId), MembershipRecord, { consistent: true });
}

/** Whether the organization still owns any project (it cannot be deleted while it does). */
export async function hasProjects(table: Table, scope: OrgScope): Promise<boolean> {
  const page = await table.query({ schema: z.looseObject({}), partition: orgPartition(scope), sortKeyPrefix: Listings.projectsOfOrg(scope).sortKeyPrefix!, limit: 1, consistent: true });
  return page.items.length > 0;
}

/** Every item of the organization's partition, for deletion (after projects are gone). */
export async function orgItemKeys(table: Table, scope: OrgScope): Promise<{ pk: string; sk: string }[]> {
  const out: { pk: string; sk: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.query({ schema: z.looseObject({ pk: z.string(), sk: z.string() }), partition: orgPartition(scope), withKeys: true, consistent: true, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.map((i) => ({ pk: i.pk, sk: i.sk })));
    cursor = page.cursor;
  } while (cursor);
  return out;
}
