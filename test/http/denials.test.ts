import { describe, expect, it } from 'vitest';
import { AuditRecord } from '../../functions/kernel/audit/record';
import { NamedBuckets } from '../../functions/kernel/rate-limit/policies';
import { Keys } from '../../functions/kernel/storage/keys';
import { bearer } from '../support/identity';
import { useTestApi } from '../support/platform';
import { addMember, ownerWithOrg } from '../support/tenancy';

describe('refused attempts', () => {
  const { api, logLines } = useTestApi({ captureLogs: true });

  const deniedRecords = async (orgId: string) =>
    (await api.platform.table.query({ schema: AuditRecord, partition: Keys.auditPartition(`org:${orgId}`), consistent: true })).items.filter((r) => r.action === 'access.denied');

  it("records a member's 403 in the organization's chain, with the route, the permission and the role", async () => {
    const { orgId } = await ownerWithOrg(api);
    const viewer = await addMember(api, orgId, 'viewer');
    const res = await api.request('POST', `/v1/orgs/${orgId}/projects`, { headers: bearer(viewer.accessToken), body: { name: 'denied' } });
    expect(res.status).toBe(403);
    expect(await deniedRecords(orgId)).toEqual([
      expect.objectContaining({ outcome: 'denied', actor: expect.objectContaining({ type: 'user', id: viewer.userId }), metadata: { route: 'createProject', permission: 'projects:create', role: 'viewer' } }),
    ]);
  });

  it('stops recording a flood of denials, while still refusing every one', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const viewer = await addMember(api, orgId, 'viewer');
    const attempts = NamedBuckets.deniedAccessRecords.limit + 5;
    for (let i = 0; i < attempts; i++) {
      expect((await api.request('PATCH', `/v1/orgs/${orgId}`, { headers: bearer(viewer.accessToken), body: { name: `n${i}` } })).status).toBe(403);
    }
    expect(await deniedRecords(orgId)).toHaveLength(NamedBuckets.deniedAccessRecords.limit);
    // The chain still verifies: the denials are records like any other.
    expect((await api.request('GET', `/v1/orgs/${orgId}/audit/verify`, { headers: bearer(owner.accessToken) })).json).toMatchObject({ ok: true });
  });

  it('records nothing in an organization for someone who is not in it (its 404 says nothing either)', async () => {
    const { orgId } = await ownerWithOrg(api);
    const stranger = await ownerWithOrg(api);
    expect((await api.request('DELETE', `/v1/orgs/${orgId}`, { headers: bearer(stranger.owner.accessToken) })).status).toBe(404);
    expect(await deniedRecords(orgId)).toEqual([]);
  });

  it('names the principal, the organization and the address on the log line of a refused request, never the token', async () => {
    const { orgId } = await ownerWithOrg(api);
    const viewer = await addMember(api, orgId, 'viewer');
    const res = await api.request('PATCH', `/v1/orgs/${orgId}`, { headers: bearer(viewer.accessToken), body: { name: 'x' }, sourceIp: '127.9.8.7' });
    expect(res.status).toBe(403);
    const line = logLines().map((l) => l.trim()).filter((l) => l.includes('Request completed') && l.includes(res.headers.get('x-request-id')!)).at(-1);
    expect(JSON.parse(line!)).toMatchObject({ status: 403, principalType: 'user', principalId: viewer.userId, orgId, sourceIp: '127.9.8.7' });
    expect(line).not.toContain(viewer.accessToken.split('.')[2]);
  });
});
