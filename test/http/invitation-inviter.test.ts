import { describe, expect, it } from 'vitest';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import { membershipWrite } from '../../functions/kernel/tenancy/memberships';
import { getInvitation, inviterMayStillGrant } from '../../functions/orgs/invitations';
import { actingAs, signUpVerifiedUser, tokenFromMail, type TestClient, type TestUser } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { addMember, ownerWithOrg } from '../support/tenancy';

/** An invitation is only as good as its inviter is now: acceptance checks they may still grant its role. */
describe('accepting an invitation whose inviter changed', () => {
  const { api } = useTestApi();

  /** `inviter` invites a fresh address with `role`; returns the invitee (signed up with that address) and the link's token. */
  async function invite(orgId: string, inviter: TestClient, role: string) {
    const email = `${uniqueId('invitee')}@example.com`;
    const res = await inviter.post(`/v1/orgs/${orgId}/invitations`, { email, role });
    expect(res.status, res.text).toBe(201);
    const token = await tokenFromMail(api.outbox, email, /invited/);
    return { invitationId: res.json.invitationId as string, token, invitee: await signUpVerifiedUser(api, api.outbox, { email }) };
  }

  const accept = (invitee: TestUser, token: string) => actingAs(api, invitee).post('/v1/invitations/accept', { token });

  async function expectRefusedAndKept(orgId: string, owner: TestUser, invitation: { invitationId: string; token: string; invitee: TestUser }) {
    const res = await accept(invitation.invitee, invitation.token);
    expect(res.status, res.text).toBe(403);
    expect(res.json.error.code).toBe('forbidden');
    expect((await actingAs(api, invitation.invitee).get(`/v1/orgs/${orgId}`)).status).toBe(404);
    // The invitation stays, for the organization to see and revoke.
    const pending = (await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`)).json.invitations as { invitationId: string }[];
    expect(pending.map((i) => i.invitationId)).toContain(invitation.invitationId);
  }

  const setRole = async (orgId: string, by: TestUser, userId: string, role: string) =>
    expect((await actingAs(api, by).patch(`/v1/orgs/${orgId}/members/${userId}`, { role })).status).toBe(200);

  it('refuses an invitation from an admin removed since (403), and keeps it for the organization to revoke', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const admin = await addMember(api, orgId, 'admin');
    const invitation = await invite(orgId, actingAs(api, admin), 'developer');
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/members/${admin.userId}`)).status).toBe(204);
    await expectRefusedAndKept(orgId, owner, invitation);
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/invitations/${invitation.invitationId}`)).status).toBe(204);
  });

  it('refuses an invitation from an admin demoted since, and accepts it once they may grant again', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const admin = await addMember(api, orgId, 'admin');
    const invitation = await invite(orgId, actingAs(api, admin), 'viewer');
    await setRole(orgId, owner, admin.userId, 'developer');
    await expectRefusedAndKept(orgId, owner, invitation);
    await setRole(orgId, owner, admin.userId, 'admin');
    expect((await accept(invitation.invitee, invitation.token)).json).toMatchObject({ orgId, role: 'viewer' });
  });

  it('refuses an admin invitation once its inviter is no longer an owner', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const otherOwner = await addMember(api, orgId, 'owner');
    const invitation = await invite(orgId, actingAs(api, owner), 'admin');
    await setRole(orgId, otherOwner, owner.userId, 'admin');
    await expectRefusedAndKept(orgId, otherOwner, invitation);
  });

  it('refuses an invitation made with a key since revoked, or whose creator lost the right to invite; accepts one from a valid key', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const admin = await addMember(api, orgId, 'admin');
    const issue = async (creator: TestUser) => {
      const res = await actingAs(api, creator).post(`/v1/orgs/${orgId}/api-keys`, { name: `k ${uniqueId()}`, role: 'admin' });
      expect(res.status, res.text).toBe(201);
      return { keyId: res.json.keyId as string, client: actingAs(api, res.json.key as string) };
    };
    const [revoked, ofAdmin, valid] = [await issue(owner), await issue(admin), await issue(owner)];
    const [byRevoked, byAdminsKey, byValid] = [await invite(orgId, revoked.client, 'developer'), await invite(orgId, ofAdmin.client, 'developer'), await invite(orgId, valid.client, 'viewer')];

    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/api-keys/${revoked.keyId}`)).status).toBe(204);
    await expectRefusedAndKept(orgId, owner, byRevoked);
    // The key's effective role is the lower of its own and its creator's: a developer invites nobody.
    await setRole(orgId, owner, admin.userId, 'developer');
    await expectRefusedAndKept(orgId, owner, byAdminsKey);
    expect((await accept(byValid.invitee, byValid.token)).json).toMatchObject({ orgId, role: 'viewer' });
  });

  it('holds to the check when the acceptance commits: a demotion or revocation after it fails the transaction', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const scope = mintOrgScope(orgId);
    const admin = await addMember(api, orgId, 'admin');
    const keyRes = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'k', role: 'admin' });
    const byPerson = await invite(orgId, actingAs(api, admin), 'developer');
    const byKey = await invite(orgId, actingAs(api, keyRes.json.key as string), 'developer');
    const checksFor = async (invitationId: string) => inviterMayStillGrant(api.platform.table, scope, (await getInvitation(api.platform.table, scope, invitationId))!, new Date());

    const personChecks = await checksFor(byPerson.invitationId);
    const keyChecks = await checksFor(byKey.invitationId);
    await setRole(orgId, owner, admin.userId, 'developer');
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/api-keys/${keyRes.json.keyId}`)).status).toBe(204);
    // What the acceptance would commit, with the conditions read before the change: nothing lands.
    for (const [{ invitee }, checks] of [
      [byPerson, personChecks],
      [byKey, keyChecks],
    ] as const) {
      await expect(api.platform.table.transact([membershipWrite(scope, invitee.userId, 'developer', new Date()), ...checks])).rejects.toMatchObject({ code: 'forbidden', statusCode: 403 });
      expect((await actingAs(api, invitee).get(`/v1/orgs/${orgId}`)).status).toBe(404);
    }
  });
});
