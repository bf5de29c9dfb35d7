import { expect } from 'vitest';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import type { Role } from '../../functions/kernel/auth/permissions';
import { membershipWrite } from '../../functions/kernel/tenancy/memberships';
import { bearer, signUpVerifiedUser, type TestUser } from './identity';
import type { TestApi } from './platform';

/** A user who owns a fresh organization. */
export async function ownerWithOrg(api: TestApi, name = 'Acme'): Promise<{ owner: TestUser; orgId: string }> {
  const owner = await signUpVerifiedUser(api, api.outbox);
  const res = await api.request('POST', '/v1/orgs', { body: { name }, headers: bearer(owner.accessToken) });
  expect(res.status, res.text).toBe(201);
  return { owner, orgId: res.json.orgId as string };
}

/**
 * Gives `user` a role in an organization by writing the membership directly (invitations arrive
 * later). Tests may mint a scope; production code outside the authorization chain may not.
 */
export async function addMember(api: TestApi, orgId: string, role: Role, user?: TestUser): Promise<TestUser> {
  const member = user ?? (await signUpVerifiedUser(api, api.outbox));
  await api.platform.table.transact([membershipWrite(mintOrgScope(orgId), member.userId, role, new Date())]);
  return member;
}
