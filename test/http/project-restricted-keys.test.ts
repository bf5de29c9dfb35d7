import { beforeAll, describe, expect, it } from 'vitest';
import { AuditRecord } from '../../functions/kernel/audit/record';
import { ProjectKeyOrgWidePermissions } from '../../functions/kernel/auth/permissions';
import { pathParameterNames, type Route } from '../../functions/kernel/http/route';
import { Keys } from '../../functions/kernel/storage/keys';
import { routeTable } from '../../functions/routes';
import { actingAs, type TestUser } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { addMember, createProject, ownerWithOrg } from '../support/tenancy';

/**
 * A key restricted to projects acts only within them: every organization-wide route (one that names
 * no project, beyond reading the organization and listing projects) refuses it with 403, whatever
 * its role. Generated from the route table, so a new organization-wide route is covered.
 */
const orgWideRoutes = routeTable.filter(
  (r): r is Route & { auth: { kind: 'permission' } } =>
    r.auth.kind === 'permission' && !pathParameterNames(r.path).includes('projectId') && !ProjectKeyOrgWidePermissions.has(r.auth.permission),
);

describe('a project-restricted API key', () => {
  const { api } = useTestApi();
  let owner: TestUser;
  let orgId: string;
  let projectId: string;
  /** An owner-role key restricted to `projectId`. */
  let key: string;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    ({ owner, orgId } = await ownerWithOrg(api));
    projectId = await createProject(actingAs(api, owner), orgId);
    const issued = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'one project', role: 'owner', projectIds: [projectId] });
    expect(issued.status, issued.text).toBe(201);
    key = issued.json.key;
    // Real ids, so that without the rule each request would reach its route.
    const other = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'other', role: 'viewer' });
    const invitation = await actingAs(api, owner).post(`/v1/orgs/${orgId}/invitations`, { email: `${uniqueId('inv')}@example.com`, role: 'viewer' });
    ids.set('orgId', orgId).set('userId', (await addMember(api, orgId, 'developer')).userId).set('keyId', other.json.keyId).set('invitationId', invitation.json.invitationId);
  });

  it('has the organization-wide routes the rule is about', () => {
    expect(orgWideRoutes.map((r) => r.id)).toEqual(
      expect.arrayContaining(['createInvitation', 'listMembers', 'removeMember', 'changeMemberRole', 'revokeApiKey', 'rotateOrgKey', 'listAuditRecords', 'updateOrg', 'createProject']),
    );
  });

  it.each(orgWideRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s refuses it (403)', async (_label, route) => {
    let path = route.path as string;
    for (const name of pathParameterNames(route.path)) path = path.replace(`{${name}}`, ids.get(name)!);
    const res = await api.request(route.method, path, { headers: actingAs(api, key).headers, ...(route.request?.body ? { body: {} } : {}) });
    expect(res.status, res.text).toBe(403);
    expect(res.json.error.code).toBe('forbidden');
  });

  it('still reads the organization, lists its projects and works in its project', async () => {
    const client = actingAs(api, key);
    expect((await client.get(`/v1/orgs/${orgId}`)).json).toMatchObject({ orgId, role: 'owner' });
    expect((await client.get(`/v1/orgs/${orgId}/projects`)).json.projects.map((p: { projectId: string }) => p.projectId)).toEqual([projectId]);
    expect((await client.get(`/v1/orgs/${orgId}/projects/${projectId}`)).status).toBe(200);
    const renamed = await client.patch(`/v1/orgs/${orgId}/projects/${projectId}`, { version: 1, description: 'by the project key' });
    expect(renamed.status, renamed.text).toBe(200);
  });

  it('is recorded as a denial that names the restriction, and nothing organization-wide changed', async () => {
    // A key of its own: denials are recorded a bounded number an hour per principal.
    const issued = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'one project, again', role: 'owner', projectIds: [projectId] });
    const invite = await actingAs(api, issued.json.key).post(`/v1/orgs/${orgId}/invitations`, { email: `${uniqueId('x')}@example.com`, role: 'developer' });
    expect(invite.status).toBe(403);
    const denials = (await api.platform.table.query({ schema: AuditRecord, partition: Keys.auditPartition(`org:${orgId}`), consistent: true })).items.filter(
      (r) => r.action === 'access.denied' && r.metadata.route === 'createInvitation',
    );
    expect(denials.at(-1)).toMatchObject({ outcome: 'denied', metadata: { route: 'createInvitation', permission: 'invitations:manage', role: 'owner', reason: 'project_restricted_key' } });
    expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`)).json.invitations).toHaveLength(1);
    expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/members`)).json.members).toHaveLength(2);
  });
});
