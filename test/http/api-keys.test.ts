import { createHash } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_KEY_USE_RECORD_INTERVAL_MS } from '../../functions/kernel/auth/api-key-credentials';
import { Keys } from '../../functions/kernel/storage/keys';
import { routeTable } from '../../functions/routes';
import { actingAs, type TestUser } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { addMember, createProject, ownerWithOrg } from '../support/tenancy';

/** Organization API keys over HTTP: issued once, stored as a hash, refused the moment they should be. */
describe('organization API keys', () => {
  // Every log line of this file is kept, at every level, to look for secrets in it.
  const { api, logLines } = useTestApi({ captureLogs: true });

  async function issueKey(orgId: string, creator: TestUser, body: Record<string, unknown> = {}) {
    const res = await actingAs(api, creator).post(`/v1/orgs/${orgId}/api-keys`, { name: `key ${uniqueId()}`, role: 'viewer', ...body });
    expect(res.status, res.text).toBe(201);
    return { keyId: res.json.keyId as string, key: res.json.key as string, secret: (res.json.key as string).slice('rmp_'.length + 21) };
  }

  /** Sets attributes of a key's lookup item directly, as time passing would. */
  const rewriteLookup = (keyId: string, values: Record<string, unknown>) =>
    api.platform.table.doc.send(
      new UpdateCommand({
        TableName: api.platform.table.name,
        Key: Keys.apiKeyLookup(keyId),
        UpdateExpression: `SET ${Object.keys(values)
          .map((k) => `#${k} = :${k}`)
          .join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(Object.keys(values).map((k) => [`#${k}`, k])),
        ExpressionAttributeValues: Object.fromEntries(Object.entries(values).map(([k, v]) => [`:${k}`, v])),
      }),
    );

  const usedRecords = async (orgId: string) => {
    const page = await api.platform.table.query({ schema: z.looseObject({}), index: 'gsi1', partition: Keys.auditByAction(`org:${orgId}`, 'apikey.used') });
    return page.items;
  };

  it('issues a key shown once that then reads the organization with its own role', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { keyId, key } = await issueKey(orgId, owner, { role: 'viewer' });
    expect(key).toMatch(/^rmp_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
    expect(key.slice(4, 24)).toBe(keyId);
    const org = await actingAs(api, key).get(`/v1/orgs/${orgId}`);
    expect(org.status, org.text).toBe(200);
    expect(org.json).toMatchObject({ orgId, role: 'viewer' });
  });

  it('never shows the secret or its hash again: not in listings, logs or the table', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { keyId, key, secret } = await issueKey(orgId, owner, { role: 'developer' });
    await actingAs(api, key).get(`/v1/orgs/${orgId}`);
    await actingAs(api, `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`).get(`/v1/orgs/${orgId}`);
    const secretHash = createHash('sha256').update(secret).digest('hex');

    const list = await actingAs(api, owner).get(`/v1/orgs/${orgId}/api-keys`);
    expect(list.status).toBe(200);
    expect(list.json.apiKeys).toEqual([
      expect.objectContaining({ keyId, role: 'developer', createdBy: owner.userId, createdAt: expect.any(String), lastUsedAt: expect.stringMatching(/:00\.000Z$/) }),
    ]);
    expect(Object.keys(list.json.apiKeys[0]).sort()).toEqual(['createdAt', 'createdBy', 'keyId', 'lastUsedAt', 'name', 'role']);
    for (const text of [list.text, logLines().join('')]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secretHash);
    }

    const raw = await Promise.all(
      [
        { pk: `ORG#${orgId}`, prefix: 'APIKEY#' },
        { pk: Keys.apiKeyLookup(keyId).pk, prefix: 'KEY' },
        { pk: `AUDIT#org:${orgId}`, prefix: 'SEQ#' },
      ].map(({ pk, prefix }) =>
        api.platform.table.doc.send(
          new QueryCommand({
            TableName: api.platform.table.name,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
            ConsistentRead: true,
          }),
        ),
      ),
    );
    const [records = [], lookups = [], audit = []] = raw.map((r) => r.Items ?? []);
    expect(records).toHaveLength(1);
    expect(lookups).toHaveLength(1);
    expect(lookups[0]!.secretHash).toBe(secretHash);
    expect(records[0]).not.toHaveProperty('secretHash');
    expect(audit.map((a) => a.action)).toContain('apikey.created');
    expect(JSON.stringify([records, lookups, audit])).not.toContain(secret);
    expect(JSON.stringify([records, audit])).not.toContain(secretHash);
  });

  it('lets a viewer key read but not write', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { key } = await issueKey(orgId, owner, { role: 'viewer' });
    expect((await actingAs(api, key).get(`/v1/orgs/${orgId}/members`)).status).toBe(200);
    const rename = await actingAs(api, key).patch(`/v1/orgs/${orgId}`, { name: 'Renamed by a key' });
    expect(rename.status).toBe(403);
    expect(rename.json.error.code).toBe('forbidden');
  });

  it('never issues a key above its creator: a developer gets 403, an admin cannot issue an owner key', async () => {
    const { orgId } = await ownerWithOrg(api);
    const developer = await addMember(api, orgId, 'developer');
    const admin = await addMember(api, orgId, 'admin');
    for (const [creator, role] of [
      [developer, 'admin'],
      [developer, 'developer'],
      [admin, 'owner'],
    ] as const) {
      const res = await actingAs(api, creator).post(`/v1/orgs/${orgId}/api-keys`, { name: 'too high', role });
      expect(res.status, `${role} key`).toBe(403);
      expect(res.json.error.code).toBe('forbidden');
    }
    await issueKey(orgId, admin, { role: 'admin' });
  });

  it('does not let a key issue keys, or act on personal routes', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { key } = await issueKey(orgId, owner, { role: 'owner' });
    const minted = await actingAs(api, key).post(`/v1/orgs/${orgId}/api-keys`, { name: 'child', role: 'viewer' });
    expect(minted.status).toBe(403);
    for (const path of ['/v1/me', '/v1/orgs']) {
      const res = await actingAs(api, key).get(path);
      expect(res.status, path).toBe(403);
      expect(res.json.error.code).toBe('forbidden');
    }
  });

  it('refuses a revoked key on the very next request', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { keyId, key } = await issueKey(orgId, owner);
    expect((await actingAs(api, key).get(`/v1/orgs/${orgId}`)).status).toBe(200);
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/api-keys/${keyId}`)).status).toBe(204);
    const after = await actingAs(api, key).get(`/v1/orgs/${orgId}`);
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('unauthenticated');
    const list = await actingAs(api, owner).get(`/v1/orgs/${orgId}/api-keys`);
    expect(list.json.apiKeys).toEqual([]);
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/api-keys/${keyId}`)).status).toBe(404);
  });

  it('refuses an expired key', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { keyId, key } = await issueKey(orgId, owner, { expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    expect((await actingAs(api, key).get(`/v1/orgs/${orgId}`)).status).toBe(200);
    await rewriteLookup(keyId, { expiresAt: Math.floor(Date.now() / 1000) - 1 });
    expect((await actingAs(api, key).get(`/v1/orgs/${orgId}`)).status).toBe(401);
  });

  it('refuses an expiry in the past or more than a year away', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    for (const expiresAt of [new Date(Date.now() - 1000), new Date(Date.now() + 400 * 24 * 3600_000)]) {
      const res = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'k', role: 'viewer', expiresAt: expiresAt.toISOString() });
      expect(res.status).toBe(400);
    }
  });

  it('refuses a key whose secret was tampered with, keeping its id', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { keyId, key, secret } = await issueKey(orgId, owner);
    const flipped = `${secret[0] === 'a' ? 'b' : 'a'}${secret.slice(1)}`;
    for (const forged of [`rmp_${keyId}_${flipped}`, `rmp_${keyId}_${secret.slice(0, -1)}`, `${key}A`]) {
      const res = await actingAs(api, forged).get(`/v1/orgs/${orgId}`);
      expect(res.status, forged.slice(0, 30)).toBe(401);
      expect(res.json.error.code).toBe('unauthenticated');
    }
  });

  it("answers 404 when a key of one organization is used on another's paths", async () => {
    const a = await ownerWithOrg(api);
    const b = await ownerWithOrg(api);
    const { key } = await issueKey(a.orgId, a.owner, { role: 'owner' });
    for (const [method, path] of [
      ['GET', `/v1/orgs/${b.orgId}`],
      ['GET', `/v1/orgs/${b.orgId}/members`],
      ['GET', `/v1/orgs/${b.orgId}/api-keys`],
      ['DELETE', `/v1/orgs/${b.orgId}`],
    ] as const) {
      const res = await api.request(method, path, { headers: actingAs(api, key).headers });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it("ends a removed member's keys at once, and lowers a demoted creator's keys with them", async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const admin = await addMember(api, orgId, 'admin');
    const { key } = await issueKey(orgId, admin, { role: 'admin' });
    const rename = (name: string) => actingAs(api, key).patch(`/v1/orgs/${orgId}`, { name });
    expect((await rename('By the admin key')).status).toBe(200);

    expect((await actingAs(api, owner).patch(`/v1/orgs/${orgId}/members/${admin.userId}`, { role: 'viewer' })).status).toBe(200);
    expect((await rename('Demoted')).status).toBe(403);
    expect((await actingAs(api, key).get(`/v1/orgs/${orgId}`)).json.role).toBe('viewer');

    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/members/${admin.userId}`)).status).toBe(204);
    const after = await actingAs(api, key).get(`/v1/orgs/${orgId}`);
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('unauthenticated');
  });

  it('lets a key restricted to a project reach only that project (404 on the others)', async () => {
    expect(routeTable.find((r) => r.method === 'GET' && r.path === '/v1/orgs/{orgId}/projects/{projectId}'), 'GET /v1/orgs/{orgId}/projects/{projectId} in the route table').toBeDefined();
    const { owner, orgId } = await ownerWithOrg(api);
    const project = () => createProject(actingAs(api, owner), orgId);
    const [mine, other] = [await project(), await project()];
    const { key } = await issueKey(orgId, owner, { role: 'developer', projectIds: [mine] });
    expect((await actingAs(api, key).get(`/v1/orgs/${orgId}/projects/${mine}`)).status).toBe(200);
    const res = await actingAs(api, key).get(`/v1/orgs/${orgId}/projects/${other}`);
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('not_found');
  });

  it('lists only its own projects to a project-restricted key, in full pages', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const project = () => createProject(actingAs(api, owner), orgId);
    const ids = [await project(), await project(), await project(), await project()];
    const [gone, ...rest] = ids;
    const mine = [gone!, rest[0]!, rest[1]!];
    const { key } = await issueKey(orgId, owner, { role: 'owner', projectIds: mine });
    expect((await actingAs(api, owner).delete(`/v1/orgs/${orgId}/projects/${gone}`)).status).toBe(204);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const res = await actingAs(api, key).get(`/v1/orgs/${orgId}/projects?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      pages.push(res.json.projects.map((p: { projectId: string }) => p.projectId));
      cursor = res.json.cursor;
    } while (cursor && pages.length < 10);
    // Two full pages and no empty third: the deleted project and the one outside the key are not counted.
    expect(pages).toEqual([rest[0], rest[1]].sort().map((id) => [id]));

    const all = await actingAs(api, key).get(`/v1/orgs/${orgId}/projects`);
    expect(all.json.projects.map((p: { projectId: string }) => p.projectId).sort()).toEqual([rest[0], rest[1]].sort());
    expect(all.json).not.toHaveProperty('cursor');
    // Unrestricted callers still see every project.
    expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/projects`)).json.projects).toHaveLength(3);
  });

  it("refuses another organization's cursor to a project-restricted key", async () => {
    const a = await ownerWithOrg(api);
    const b = await ownerWithOrg(api);
    const create = (org: { owner: TestUser; orgId: string }) => createProject(actingAs(api, org.owner), org.orgId);
    await create(a);
    await create(a);
    const foreign = (await actingAs(api, a.owner).get(`/v1/orgs/${a.orgId}/projects?limit=1`)).json.cursor as string;
    expect(foreign).toBeDefined();
    const { key } = await issueKey(b.orgId, b.owner, { projectIds: [await create(b)] });
    const res = await actingAs(api, key).get(`/v1/orgs/${b.orgId}/projects?cursor=${encodeURIComponent(foreign)}`);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation_failed');
  });

  it('refuses to restrict a key to a project the organization does not have', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const res = await actingAs(api, owner).post(`/v1/orgs/${orgId}/api-keys`, { name: 'k', role: 'viewer', projectIds: [`p_${'0'.repeat(32)}`] });
    expect(res.status).toBe(404);
  });

  it('records reads with a key as apikey.used at most once a minute', async () => {
    const { owner, orgId } = await ownerWithOrg(api);
    const { keyId, key } = await issueKey(orgId, owner);
    await Promise.all([1, 2, 3].map(() => actingAs(api, key).get(`/v1/orgs/${orgId}`)));
    await actingAs(api, key).get(`/v1/orgs/${orgId}/members`);
    const once = await usedRecords(orgId);
    expect(once).toHaveLength(1);
    expect(once[0]).toMatchObject({ actor: { type: 'api_key', id: keyId }, metadata: { keyId, route: 'getOrg' } });

    // A minute later (rewritten, not waited for) the next read is recorded again.
    await rewriteLookup(keyId, { lastUsedAt: new Date(Date.now() - API_KEY_USE_RECORD_INTERVAL_MS - 1000).toISOString() });
    await actingAs(api, key).get(`/v1/orgs/${orgId}/members`);
    expect(await usedRecords(orgId)).toHaveLength(2);
  });
});
