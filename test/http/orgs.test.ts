import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { actingAs, signUpVerifiedUser } from '../support/identity';
import { useTestApi } from '../support/platform';
import { addMember, ownerWithOrg } from '../support/tenancy';

describe('organizations and members', () => {
  const { api } = useTestApi();

  it('creates an organization whose creator is its owner, and lists it among mine', async () => {
    const { owner, orgId } = await ownerWithOrg(api, 'Acme Cloud');
    expect(orgId).toMatch(/^o_[0-9a-f]{32}$/);
    const mine = await actingAs(api, owner).get('/v1/orgs');
    expect(mine.json.orgs).toEqual([expect.objectContaining({ orgId, name: 'Acme Cloud', role: 'owner' })]);
    const got = await actingAs(api, owner).get(`/v1/orgs/${orgId}`);
    expect(got.json).toMatchObject({ orgId, role: 'owner' });
    const members = await actingAs(api, owner).get(`/v1/orgs/${orgId}/members`);
    expect(members.json.members).toEqual([expect.objectContaining({ userId: owner.userId, role: 'owner' })]);
  });

  it('answers 404 to someone outside the organization, whatever they ask', async () => {
    const { orgId } = await ownerWithOrg(api);
    const stranger = await signUpVerifiedUser(api, api.outbox);
    for (const [method, path] of [
      ['GET', `/v1/orgs/${orgId}`],
      ['GET', `/v1/orgs/${orgId}/members`],
      ['DELETE', `/v1/orgs/${orgId}`],
    ] as const) {
      const res = await api.request(method, path, { headers: actingAs(api, stranger).headers });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
    const rename = await actingAs(api, stranger).patch(`/v1/orgs/${orgId}`, { name: 'Mine now' });
    expect(rename.status).toBe(404);
  });

  it('lets a viewer read but not change anything', async () => {
    const { orgId } = await ownerWithOrg(api);
    const viewer = await addMember(api, orgId, 'viewer');
    expect((await actingAs(api, viewer).get(`/v1/orgs/${orgId}`)).status).toBe(200);
    expect((await actingAs(api, viewer).get(`/v1/orgs/${orgId}/members`)).status).toBe(200);
    const rename = await actingAs(api, viewer).patch(`/v1/orgs/${orgId}`, { name: 'Nope' });
    expect(rename.status).toBe(403);
    expect(rename.json.error.code).toBe('forbidden');
    expect((await actingAs(api, viewer).delete(`/v1/orgs/${orgId}`)).status).toBe(403);
  });

  it('keeps admin below owner: an admin cannot grant, change or remove owners and admins, nor delete the org', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const admin = await addMember(api, orgId, 'admin');
    const dev = await addMember(api, orgId, 'developer');
    const promote = await actingAs(api, admin).patch(`/v1/orgs/${orgId}/members/${dev.userId}`, { role: 'admin' });
    expect(promote.status).toBe(403);
    const demoteOwner = await actingAs(api, admin).patch(`/v1/orgs/${orgId}/members/${owner.userId}`, { role: 'viewer' });
    expect(demoteOwner.status).toBe(403);
    expect((await actingAs(api, admin).delete(`/v1/orgs/${orgId}/members/${owner.userId}`)).status).toBe(403);
    expect((await actingAs(api, admin).delete(`/v1/orgs/${orgId}`)).status).toBe(403);
    // Within its reach: developer ↔ viewer.
    const toViewer = await actingAs(api, admin).patch(`/v1/orgs/${orgId}/members/${dev.userId}`, { role: 'viewer' });
    expect(toViewer.status).toBe(200);
    expect(toViewer.json.role).toBe('viewer');
    // The owner can promote.
    expect((await actingAs(api, owner).patch(`/v1/orgs/${orgId}/members/${dev.userId}`, { role: 'admin' })).status).toBe(200);
  });

  it('never leaves an organization without an owner', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const demote = await actingAs(api, owner).patch(`/v1/orgs/${orgId}/members/${owner.userId}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/members/${owner.userId}`)).status).toBe(409);
    // With a second owner, one may step down.
    const second = await addMember(api, orgId, 'owner');
    expect((await actingAs(api, owner).patch(`/v1/orgs/${orgId}/members/${owner.userId}`, { role: 'admin' })).status).toBe(200);
    expect((await actingAs(api, second).patch(`/v1/orgs/${orgId}/members/${second.userId}`, { role: 'admin' })).status).toBe(409);
  });

  it('lets two owners demoting each other at once leave exactly one owner', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const second = await addMember(api, orgId, 'owner');
    const results = await Promise.all([
      actingAs(api, owner).patch(`/v1/orgs/${orgId}/members/${second.userId}`, { role: 'admin' }),
      actingAs(api, second).patch(`/v1/orgs/${orgId}/members/${owner.userId}`, { role: 'admin' }),
    ]);
    // Both stay members (as owner or admin), so either may read the outcome.
    const members = await actingAs(api, owner).get(`/v1/orgs/${orgId}/members`);
    const owners = members.json.members.filter((m: { role: string }) => m.role === 'owner');
    expect(owners).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('ends a removed member’s access at once', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const dev = await addMember(api, orgId, 'developer');
    expect((await actingAs(api, dev).get(`/v1/orgs/${orgId}`)).status).toBe(200);
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/members/${dev.userId}`)).status).toBe(204);
    expect((await actingAs(api, dev).get(`/v1/orgs/${orgId}`)).status).toBe(404);
    expect((await actingAs(api, dev).get('/v1/orgs')).json.orgs).toEqual([]);
  });

  it('renames and deletes (owner only), audited in a chain that verifies', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const renamed = await actingAs(api, owner).patch(`/v1/orgs/${orgId}`, { name: 'Renamed' });
    expect(renamed.json.name).toBe('Renamed');
    const dev = await addMember(api, orgId, 'developer');
    await actingAs(api, owner).patch(`/v1/orgs/${orgId}/members/${dev.userId}`, { role: 'viewer' });
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}`)).status).toBe(204);
    expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}`)).status).toBe(404);
    const chain = await verifyAuditChain(api.platform.table, `org:${orgId}`);
    expect(chain).toMatchObject({ ok: true, checked: 4 });
  });

  it('validates ids and names', async () => {
    const { owner } = await ownerWithOrg(api);
    expect((await actingAs(api, owner).get('/v1/orgs/not-an-id')).status).toBe(400);
    expect((await actingAs(api, owner).post('/v1/orgs', { name: '' })).status).toBe(400);
    expect((await actingAs(api, owner).post('/v1/orgs', { name: 'x', owner: 'someone' })).status).toBe(400);
    expect((await api.request('POST', '/v1/orgs', { body: { name: 'anonymous' } })).status).toBe(401);
  });
});

describe('organization keys', () => {
  const { api } = useTestApi();

  it('gives every new organization a key: stored wrapped, with a public env key, and never returned', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { getOrg } = await import('../../functions/kernel/tenancy/org-record');
    const { mintOrgScope } = await import('../../functions/kernel/auth/org-scope');
    const { OrgKeyRing, sealEnvValue } = await import('../../functions/kernel/keys/org-keys');
    const org = await getOrg(api.platform.table, mintOrgScope(orgId));
    expect(org?.orgKeys).toHaveLength(1);
    const record = org!.orgKeys![0]!;
    expect(record).toMatchObject({ version: 1, rootKeyId: api.platform.keys.rootKeyId });
    // The stored record seals; only the root key (through the ring) opens.
    const identity = { org: orgId, project: 'p_x', service: '', name: 'TOKEN', version: 1 };
    const sealed = sealEnvValue(orgId, record, identity, 'canary');
    expect((await new OrgKeyRing(api.platform.keys).open(orgId, record)).openEnvValue(identity, sealed).toString()).toBe('canary');
    const got = await actingAs(api, owner).get(`/v1/orgs/${orgId}`);
    expect(got.text).not.toContain(record.wrapped);
    expect(got.json).not.toHaveProperty('orgKeys');
  });
});
