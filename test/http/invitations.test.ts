import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { actingAs, signUpVerifiedUser, tokenFromMail } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { addMember, ownerWithOrg } from '../support/tenancy';

describe('invitations', () => {
  const { api } = useTestApi();
  const invite = (orgId: string, token: string, email: string, role = 'developer') =>
    actingAs(api, token).post(`/v1/orgs/${orgId}/invitations`, { email, role });

  it('invites by mail; the invitee, signed in with that verified address, joins with the role', async () => {
    const { owner, orgId } = await ownerWithOrg(api, 'Invite Co');
    const email = `${uniqueId('dev')}@example.com`;
    const created = await invite(orgId, owner.accessToken, email);
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ email, role: 'developer', invitationId: expect.stringMatching(/^inv_/) });
    expect(JSON.stringify(created.json)).not.toMatch(/token/i);
    const pending = await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`);
    expect(pending.json.invitations).toHaveLength(1);

    const token = await tokenFromMail(api.outbox, email, /invited to join "Invite Co"/);
    const invitee = await signUpVerifiedUser(api, api.outbox, { email });
    const accepted = await actingAs(api, invitee).post('/v1/invitations/accept', { token });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.json).toMatchObject({ orgId, role: 'developer' });
    expect((await actingAs(api, invitee).get(`/v1/orgs/${orgId}`)).status).toBe(200);
    // Single use, and no longer pending.
    const again = await actingAs(api, invitee).post('/v1/invitations/accept', { token });
    expect(again.status).toBe(400);
    expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`)).json.invitations).toHaveLength(0);
    expect((await verifyAuditChain(api.platform.table, `org:${orgId}`)).ok).toBe(true);
  });

  it('refuses an account whose address is not the invited one', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const email = `${uniqueId('target')}@example.com`;
    await invite(orgId, owner.accessToken, email);
    const token = await tokenFromMail(api.outbox, email, /invited/);
    const someoneElse = await signUpVerifiedUser(api, api.outbox);
    const res = await actingAs(api, someoneElse).post('/v1/invitations/accept', { token });
    expect(res.status).toBe(403);
    expect((await actingAs(api, someoneElse).get(`/v1/orgs/${orgId}`)).status).toBe(404);
    // The link still works for its owner.
    const invitee = await signUpVerifiedUser(api, api.outbox, { email });
    expect((await actingAs(api, invitee).post('/v1/invitations/accept', { token })).status).toBe(200);
  });

  it('keeps admin below owner: admins invite developers and viewers only; developers invite nobody', async () => {
    const { orgId } = await ownerWithOrg(api);
    const admin = await addMember(api, orgId, 'admin');
    const dev = await addMember(api, orgId, 'developer');
    expect((await invite(orgId, admin.accessToken, `${uniqueId('a')}@example.com`, 'admin')).status).toBe(403);
    expect((await invite(orgId, admin.accessToken, `${uniqueId('o')}@example.com`, 'owner')).status).toBe(403);
    expect((await invite(orgId, admin.accessToken, `${uniqueId('v')}@example.com`, 'viewer')).status).toBe(201);
    expect((await invite(orgId, dev.accessToken, `${uniqueId('d')}@example.com`, 'viewer')).status).toBe(403);
  });

  it('revokes a pending invitation: its link stops working at once', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const email = `${uniqueId('rev')}@example.com`;
    const created = await invite(orgId, owner.accessToken, email);
    const token = await tokenFromMail(api.outbox, email, /invited/);
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/invitations/${created.json.invitationId}`)).status).toBe(204);
    const invitee = await signUpVerifiedUser(api, api.outbox, { email });
    const res = await actingAs(api, invitee).post('/v1/invitations/accept', { token });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_token');
  });

  it('stores only the hash of the link token', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const email = `${uniqueId('hash')}@example.com`;
    await invite(orgId, owner.accessToken, email);
    const token = await tokenFromMail(api.outbox, email, /invited/);
    const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
    const { inject } = await import('vitest');
    const items = await api.platform.table.doc.send(
      new QueryCommand({ TableName: inject('tableName'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ORG#${orgId}` } }),
    );
    expect(JSON.stringify(items.Items)).not.toContain(token);
  });
});
