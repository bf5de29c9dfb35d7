import { expect } from 'vitest';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import type { Role } from '../../functions/kernel/auth/permissions';
import { membershipWrite } from '../../functions/kernel/tenancy/memberships';
import { bearer, signUpVerifiedUser, type TestClient, type TestUser } from './identity';
import { uniqueId, type TestApi } from './platform';

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

/** Creates a project in the organization as `client` (asserting the 201); returns its id. */
export async function createProject(client: TestClient, orgId: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await client.post(`/v1/orgs/${orgId}/projects`, { name: `proj-${uniqueId()}`, ...body });
  expect(res.status, `creating a project: ${res.text}`).toBe(201);
  return res.json.projectId as string;
}

/** Creates a service (a small worker unless `body` says otherwise) in the project as `client` (asserting the 201); returns its id. */
export async function createService(client: TestClient, orgId: string, projectId: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await client.post(`/v1/orgs/${orgId}/projects/${projectId}/services`, {
    name: `svc${uniqueId()}`,
    type: 'worker',
    source: { image: 'public.ecr.aws/nginx/nginx:1.27' },
    cpu: 256,
    memory: 512,
    replicas: 1,
    ...body,
  });
  expect(res.status, `creating a service: ${res.text}`).toBe(201);
  return res.json.serviceId as string;
}
