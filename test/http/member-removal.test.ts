import { describe, expect, it } from 'vitest';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import { AuditRecord } from '../../functions/kernel/audit/record';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { MAX_CHANGES_WITH_RECORD } from '../../functions/kernel/audit/audit-trail';
import { Keys } from '../../functions/kernel/storage/keys';
import { createApiKeyWrites } from '../../functions/orgs/api-keys';
import { actingAs, tokenFromMail, type TestUser } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { rawItem } from '../support/raw-items';
import { addMember, ownerWithOrg } from '../support/tenancy';

/** Removing a member revokes, for good, every API key they created in the organization. */
describe('removing a member', () => {
  const { api } = useTestApi();

  async function issueKey(orgId: string, creator: TestUser, role = 'admin') {
    const res = await actingAs(api, creator).post(`/v1/orgs/${orgId}/api-keys`, { name: `key ${uniqueId()}`, role });
    expect(res.status, res.text).toBe(201);
    return { keyId: res.json.keyId as string, key: res.json.key as string };
  }

  const removalRecords = async (orgId: string) =>
    (await api.platform.table.query({ schema: AuditRecord, partition: Keys.auditPartition(`org:${orgId}`), consistent: true })).items.filter((r) => r.action === 'member.removed');

  const listedKeyIds = async (orgId: string, owner: TestUser) =>
    ((await actingAs(api, owner).get(`/v1/orgs/${orgId}/api-keys`)).json.apiKeys as { keyId: string }[]).map((k) => k.keyId);

  it('revokes their keys for good: out of the listing, marked revoked with the reason, and dead after they are invited back', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const admin = await addMember(api, orgId, 'admin');
    const theirs = await issueKey(orgId, admin);
    const ownersKey = await issueKey(orgId, owner);
    expect((await actingAs(api, theirs.key).get(`/v1/orgs/${orgId}`)).status).toBe(200);

    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/members/${admin.userId}`)).status).toBe(204);
    expect((await actingAs(api, theirs.key).get(`/v1/orgs/${orgId}`)).status).toBe(401);
    expect(await listedKeyIds(orgId, owner)).toEqual([ownersKey.keyId]);
    const lookup = await rawItem(api, Keys.apiKeyLookup(theirs.keyId));
    expect(lookup).toMatchObject({ revoked: true, revokedReason: 'creator_removed', revokedAt: expect.any(String) });
    expect(await removalRecords(orgId)).toEqual([expect.objectContaining({ metadata: { role: 'admin', keysRevoked: 1 } })]);

    // Invited back, with the same role: the old key stays dead; only the other member's key lives.
    const invited = await actingAs(api, owner).post(`/v1/orgs/${orgId}/invitations`, { email: admin.email, role: 'admin' });
    expect(invited.status, invited.text).toBe(201);
    const token = await tokenFromMail(api.outbox, admin.email, /invited/);
    expect((await actingAs(api, admin).post('/v1/invitations/accept', { token })).status).toBe(200);
    const after = await actingAs(api, theirs.key).get(`/v1/orgs/${orgId}`);
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('unauthenticated');
    expect(await listedKeyIds(orgId, owner)).toEqual([ownersKey.keyId]);
    expect((await actingAs(api, ownersKey.key).get(`/v1/orgs/${orgId}`)).status).toBe(200);
    expect((await verifyAuditChain(api.platform.table, `org:${orgId}`)).ok).toBe(true);
  });

  it('revokes more keys than one transaction holds: those that fit with the record, the rest right after', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const dev = await addMember(api, orgId, 'developer');
    const scope = mintOrgScope(orgId);
    // Two writes a key: enough keys that the removal cannot be one transaction.
    const count = Math.ceil(MAX_CHANGES_WITH_RECORD / 2) + 5;
    const issued = Array.from({ length: count }, () => createApiKeyWrites(scope, { name: 'bulk', role: 'viewer', createdBy: dev.userId }, new Date()));
    await api.platform.table.transactInBatches(issued.flatMap((k) => k.writes));
    expect(await listedKeyIds(orgId, owner)).toHaveLength(count);

    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/members/${dev.userId}`)).status).toBe(204);
    expect(await listedKeyIds(orgId, owner)).toEqual([]);
    for (const { key, record } of [issued[0]!, issued.at(-1)!]) {
      expect((await actingAs(api, key).get(`/v1/orgs/${orgId}`)).status).toBe(401);
      expect(await rawItem(api, Keys.apiKeyLookup(record.keyId))).toMatchObject({ revoked: true, revokedReason: 'creator_removed' });
    }
    expect(await removalRecords(orgId)).toEqual([expect.objectContaining({ metadata: { role: 'developer', keysRevoked: count } })]);
  });
});
