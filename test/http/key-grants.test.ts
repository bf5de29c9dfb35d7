import { describe, expect, it } from 'vitest';
import { actingAs } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { addMember, ownerWithOrg } from '../support/tenancy';

/** Only a person grants admin or owner: an owner's key cannot mint owners (who could then issue keys). */
describe('API keys and privileged roles', () => {
  const { api } = useTestApi();

  async function ownerKey() {
    const { owner, orgId } = await ownerWithOrg(api);
    const res = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'owner key', role: 'owner' });
    expect(res.status, res.text).toBe(201);
    return { owner, orgId, key: actingAs(api, res.json.key as string) };
  }

  it('cannot invite with the owner or admin role (403), but invites developers and viewers', async () => {
    const { owner, orgId, key } = await ownerKey();
    for (const role of ['owner', 'admin']) {
      const res = await key.post(`/v1/orgs/${orgId}/invitations`, { email: `${uniqueId(role)}@example.com`, role });
      expect(res.status, role).toBe(403);
      expect(res.json.error.code).toBe('forbidden');
    }
    expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`)).json.invitations).toEqual([]);
    expect((await key.post(`/v1/orgs/${orgId}/invitations`, { email: `${uniqueId('dev')}@example.com`, role: 'developer' })).status).toBe(201);
  });

  it('cannot grant, change or remove the owner and admin roles (403), but manages developers and viewers', async () => {
    const { owner, orgId, key } = await ownerKey();
    const secondOwner = await addMember(api, orgId, 'owner');
    const admin = await addMember(api, orgId, 'admin');
    const dev = await addMember(api, orgId, 'developer');
    const viewer = await addMember(api, orgId, 'viewer');
    const member = (userId: string) => `/v1/orgs/${orgId}/members/${userId}`;
    for (const [what, res] of [
      ['promote to owner', await key.patch(member(dev.userId), { role: 'owner' })],
      ['promote to admin', await key.patch(member(dev.userId), { role: 'admin' })],
      ['demote an admin', await key.patch(member(admin.userId), { role: 'developer' })],
      ['demote an owner', await key.patch(member(secondOwner.userId), { role: 'viewer' })],
      ['remove an admin', await key.delete(member(admin.userId))],
      ['remove an owner', await key.delete(member(secondOwner.userId))],
    ] as const) {
      expect(res.status, what).toBe(403);
      expect(res.json.error.code, what).toBe('forbidden');
    }
    const roles = async () => Object.fromEntries(((await actingAs(api, owner).get(`/v1/orgs/${orgId}/members`)).json.members as { userId: string; role: string }[]).map((m) => [m.userId, m.role]));
    expect(await roles()).toMatchObject({ [secondOwner.userId]: 'owner', [admin.userId]: 'admin', [dev.userId]: 'developer' });

    expect((await key.patch(member(dev.userId), { role: 'viewer' })).status).toBe(200);
    expect((await key.delete(member(viewer.userId))).status).toBe(204);
    // People keep their rules: an owner promotes to admin.
    expect((await actingAs(api, owner).patch(member(dev.userId), { role: 'admin' })).status).toBe(200);
  });
});
