import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealedKeyRef, SealedValueError } from '../../functions/kernel/keys/aead';
import { KeyUnwrapError } from '../../functions/kernel/keys/key-provider';
import { Keys } from '../../functions/kernel/storage/keys';
import { InvitationRecord, openInvitationEmail } from '../../functions/orgs/invitations';
import { LocalKeyProvider } from '../../local/local-key-provider';
import { actingAs, signUpVerifiedUser, tokenFromMail } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { putRawItems, rawItem, rawPartition } from '../support/raw-items';
import { ownerWithOrg } from '../support/tenancy';

/**
 * An invitee's address is personal data of someone who has not joined (maybe not even signed up):
 * it is sealed under a data key of the invitation's own (PII key), which goes with the invitation.
 */
describe('invitations: the invitee’s address sealed under the invitation’s data key', () => {
  const { api } = useTestApi();
  const invite = async (orgId: string, token: string, email: string) => {
    const res = await actingAs(api, token).post(`/v1/orgs/${orgId}/invitations`, { email, role: 'developer' });
    expect(res.status, res.text).toBe(201);
    return res.json.invitationId as string;
  };
  const invitationItem = async (orgId: string, invitationId: string) => (await rawPartition(api, `ORG#${orgId}`)).find((i) => i.sk === `INVITE#${invitationId}`);

  it('stores the address only sealed (with its lookup hash), and lists it to the organization', async () => {
    const { owner, orgId } = await ownerWithOrg(api, 'Sealed Invites');
    const email = `${uniqueId('Invitee.Sealed')}@example.com`;
    const invitationId = await invite(orgId, owner.accessToken, email);
    const item = await invitationItem(orgId, invitationId);
    expect(item).toMatchObject({ emailHash: await api.platform.emailIndex.lookupHash(email), sealedEmail: expect.stringMatching(/^rmp1\./), dataKey: { wrapped: expect.any(String), rootKeyId: api.platform.piiKeys.rootKeyId } });
    expect(item).not.toHaveProperty('email');
    expect(sealedKeyRef(String(item!.sealedEmail))).toBe(`invitation:${orgId}:${invitationId}:pii`);
    const partition = JSON.stringify([...(await rawPartition(api, `ORG#${orgId}`)), ...(await rawPartition(api, Keys.auditPartition(`org:${orgId}`)))]);
    for (const spelling of [email, email.toLowerCase(), email.split('@')[0]!]) expect(partition).not.toContain(spelling);

    const list = await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`);
    expect(list.json.invitations).toEqual([expect.objectContaining({ invitationId, email })]);
  });

  it('opens an address only with its own invitation’s key, and only with the PII key', async () => {
    const { owner, orgId } = await ownerWithOrg(api, 'Bound Invites');
    const [first, second] = [`${uniqueId('one')}@example.com`, `${uniqueId('two')}@example.com`];
    const a = InvitationRecord.parse(await invitationItem(orgId, await invite(orgId, owner.accessToken, first)));
    const b = InvitationRecord.parse(await invitationItem(orgId, await invite(orgId, owner.accessToken, second)));
    await expect(openInvitationEmail(api.platform.piiKeys, a)).resolves.toBe(first);
    // Another invitation's sealed address, or its key, does not open here.
    await expect(openInvitationEmail(api.platform.piiKeys, { ...b, sealedEmail: a.sealedEmail })).rejects.toBeInstanceOf(SealedValueError);
    await expect(openInvitationEmail(api.platform.piiKeys, { ...b, dataKey: a.dataKey })).rejects.toBeInstanceOf(KeyUnwrapError);
    // A copy of the table is not enough: the wrapped key opens only through the PII key.
    await expect(openInvitationEmail(LocalKeyProvider.ephemeral(), a)).rejects.toBeInstanceOf(SealedValueError);
  });

  it('takes the address and its key away with the invitation: revoked or accepted, nothing of it remains', async () => {
    const { owner, orgId } = await ownerWithOrg(api, 'Gone Invites');
    const revokedEmail = `${uniqueId('revoked')}@example.com`;
    const revoked = await invite(orgId, owner.accessToken, revokedEmail);
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/invitations/${revoked}`)).status).toBe(204);
    const acceptedEmail = `${uniqueId('accepted')}@example.com`;
    await invite(orgId, owner.accessToken, acceptedEmail);
    const token = await tokenFromMail(api.outbox, acceptedEmail, /invited to join "Gone Invites"/);
    const invitee = await signUpVerifiedUser(api, api.outbox, { email: acceptedEmail });
    expect((await actingAs(api, invitee).post('/v1/invitations/accept', { token })).status).toBe(200);

    const items = await rawPartition(api, `ORG#${orgId}`);
    expect(items.filter((i) => i.sk.startsWith('INVITE#'))).toEqual([]);
    expect(JSON.stringify(items)).not.toContain('sealedEmail');
  });

  it('still lists and accepts an invitation stored before addresses were sealed', async () => {
    const { owner, orgId } = await ownerWithOrg(api, 'Old Invites');
    const email = `${uniqueId('old')}@example.com`;
    const token = randomBytes(32).toString('base64url');
    const tokenHash = createHash('sha256').update(token, 'utf8').digest('hex');
    const invitationId = `inv_${randomBytes(16).toString('hex')}`;
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await putRawItems(api, [
      { pk: `ORG#${orgId}`, sk: `INVITE#${invitationId}`, invitationId, orgId, email, role: 'viewer', invitedBy: owner.userId, createdAt: new Date().toISOString(), expiresAt, tokenHash },
      { ...Keys.invitationToken(tokenHash), orgId, invitationId, expiresAt },
    ]);
    const list = await actingAs(api, owner).get(`/v1/orgs/${orgId}/invitations`);
    expect(list.json.invitations).toEqual([expect.objectContaining({ invitationId, email })]);
    const invitee = await signUpVerifiedUser(api, api.outbox, { email });
    const accepted = await actingAs(api, invitee).post('/v1/invitations/accept', { token });
    expect(accepted.status, accepted.text).toBe(200);
    expect(await rawItem(api, { pk: `ORG#${orgId}`, sk: `INVITE#${invitationId}` })).toBeUndefined();
  });
});
