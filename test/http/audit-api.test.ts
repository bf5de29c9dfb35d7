import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { exportAuditRecords } from '../../functions/audit/audit-records';
import { GENESIS_HASH, hashAuditRecord, type AuditRecord } from '../../functions/kernel/audit/record';
import { Keys, padSeq } from '../../functions/kernel/storage/keys';
import { actingAs, type TestUser } from '../support/identity';
import { useTestApi } from '../support/platform';
import { addMember, ownerWithOrg } from '../support/tenancy';

describe('audit API', () => {
  const { api } = useTestApi();

  /** A fresh organization with `renames` renames: records 1 (org.created) to renames + 1 (org.updated). */
  async function orgWithHistory(renames: number): Promise<{ owner: TestUser; orgId: string }> {
    const { owner, orgId } = await ownerWithOrg(api, 'Acme');
    for (let i = 1; i <= renames; i++) {
      const renamed = await actingAs(api, owner).patch(`/v1/orgs/${orgId}`, { name: `Acme ${i}` });
      expect(renamed.status, renamed.text).toBe(200);
    }
    return { owner, orgId };
  }

  /** Follows cursors to the end, returning every page. */
  async function allPages(user: TestUser, orgId: string, query: string): Promise<AuditRecord[][]> {
    const pages: AuditRecord[][] = [];
    let cursor: string | undefined;
    do {
      const res = await actingAs(api, user).get(`/v1/orgs/${orgId}/audit?${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, res.text).toBe(200);
      pages.push(res.json.records);
      cursor = res.json.cursor;
      expect(pages.length).toBeLessThan(50);
    } while (cursor);
    return pages;
  }

  const seqs = (records: AuditRecord[]) => records.map((r) => r.seq);

  describe('GET /v1/orgs/{orgId}/audit', () => {
    it("lists the owner's organization's records newest first, page by page, without duplicates or gaps", async () => {
      const { owner, orgId } = await orgWithHistory(5);
      const pages = await allPages(owner, orgId, 'limit=2');
      expect(pages[0]).toHaveLength(2);
      expect(seqs(pages.flat())).toEqual([6, 5, 4, 3, 2, 1]);
      const [newest] = pages[0]!;
      expect(newest).toMatchObject({ scope: `org:${orgId}`, seq: 6, action: 'org.updated', outcome: 'success', actor: { type: 'user', id: owner.userId }, target: { type: 'org', id: orgId }, metadata: { fields: ['name'] } });
      expect(Object.keys(newest!).sort()).toEqual(['action', 'actor', 'at', 'hash', 'metadata', 'outcome', 'prevHash', 'scope', 'seq', 'target'].sort());
      expect(seqs((await allPages(owner, orgId, 'limit=4&order=oldest')).flat())).toEqual([1, 2, 3, 4, 5, 6]);
      const defaults = await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit`);
      expect(seqs(defaults.json.records)).toEqual([6, 5, 4, 3, 2, 1]);
      expect(defaults.json.cursor).toBeUndefined();
    });

    it('filters by action through the by-action index, paginated, and refuses an action outside the catalogue', async () => {
      const { owner, orgId } = await orgWithHistory(3);
      expect(seqs((await allPages(owner, orgId, 'action=org.updated&limit=2')).flat())).toEqual([4, 3, 2]);
      expect(seqs((await allPages(owner, orgId, 'action=org.created')).flat())).toEqual([1]);
      expect((await allPages(owner, orgId, 'action=member.removed')).flat()).toEqual([]);
      for (const bad of ['org.hacked', 'ORG.UPDATED', 'org.updated%23ACTION%23x']) {
        const res = await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit?action=${bad}`);
        expect(res.status, bad).toBe(400);
        expect(res.json.error.code).toBe('validation_failed');
      }
    });

    it('filters by actor and by target, and an admin reads the trail too', async () => {
      const { owner, orgId } = await orgWithHistory(2);
      const admin = await addMember(api, orgId, 'admin');
      const developer = await addMember(api, orgId, 'developer');
      expect((await actingAs(api, admin).patch(`/v1/orgs/${orgId}`, { name: 'By admin' })).status).toBe(200);
      const promoted = await actingAs(api, owner).patch(`/v1/orgs/${orgId}/members/${developer.userId}`, { role: 'viewer' });
      expect(promoted.status, promoted.text).toBe(200);

      const byAdmin = (await allPages(admin, orgId, `actor=${admin.userId}&limit=1`)).flat();
      expect(byAdmin.map((r) => [r.seq, r.action])).toEqual([[4, 'org.updated']]);
      expect(seqs((await allPages(owner, orgId, `actor=${owner.userId}`)).flat())).toEqual([5, 3, 2, 1]);
      const aboutDeveloper = (await allPages(owner, orgId, `target=${developer.userId}`)).flat();
      expect(aboutDeveloper.map((r) => [r.seq, r.action])).toEqual([[5, 'member.role_changed']]);
      expect(seqs((await allPages(owner, orgId, `target=${orgId}&limit=3`)).flat())).toEqual([4, 3, 2, 1]);
      expect(seqs((await allPages(owner, orgId, `target=${orgId}&action=org.updated&actor=${owner.userId}`)).flat())).toEqual([3, 2]);
    });

    it('filters by time, the window bounds included', async () => {
      const { owner, orgId } = await orgWithHistory(4);
      const all = (await allPages(owner, orgId, '')).flat();
      const from = all.find((r) => r.seq === 2)!.at;
      const to = all.find((r) => r.seq === 4)!.at;
      const inWindow = (r: AuditRecord) => r.at >= from && r.at <= to;
      const expected = seqs(all.filter(inWindow));
      expect(expected).toEqual(expect.arrayContaining([4, 3, 2]));
      expect(seqs((await allPages(owner, orgId, `from=${from}&to=${to}&limit=1`)).flat())).toEqual(expected);
      expect(seqs((await allPages(owner, orgId, `from=${from}&to=${to}&order=oldest`)).flat())).toEqual([...expected].reverse());
      expect(seqs((await allPages(owner, orgId, `from=${to}`)).flat())).toEqual(seqs(all.filter((r) => r.at >= to)));
      expect(seqs((await allPages(owner, orgId, `to=${from}`)).flat())).toEqual(seqs(all.filter((r) => r.at <= from)));
      const bad = await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit?from=yesterday`);
      expect(bad.status).toBe(400);
      expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit?limit=201`)).status).toBe(400);
      expect((await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit?limit=0`)).status).toBe(400);
    });

    it('refuses a cursor from another organization with 400', async () => {
      const a = await orgWithHistory(3);
      const b = await orgWithHistory(3);
      const pageA = await actingAs(api, a.owner).get(`/v1/orgs/${a.orgId}/audit?limit=1`);
      expect(pageA.json.cursor).toEqual(expect.any(String));
      const onB = await actingAs(api, b.owner).get(`/v1/orgs/${b.orgId}/audit?limit=1&cursor=${pageA.json.cursor}`);
      expect(onB.status).toBe(400);
      expect(onB.json.error.code).toBe('validation_failed');
      const byAction = await actingAs(api, a.owner).get(`/v1/orgs/${a.orgId}/audit?limit=1&action=org.updated`);
      const onBByAction = await actingAs(api, b.owner).get(`/v1/orgs/${b.orgId}/audit?limit=1&action=org.updated&cursor=${byAction.json.cursor}`);
      expect(onBByAction.status).toBe(400);
      // A cursor of the by-action index does not fit the unfiltered query either.
      const mixed = await actingAs(api, a.owner).get(`/v1/orgs/${a.orgId}/audit?limit=1&cursor=${byAction.json.cursor}`);
      expect(mixed.status).toBe(400);
      const exportOnB = await actingAs(api, b.owner).get(`/v1/orgs/${b.orgId}/audit/export?cursor=${pageA.json.cursor}`);
      expect(exportOnB.status).toBe(400);
    });

    it('does not list an item written into the by-action index under a forged gsi1pk', async () => {
      const { owner, orgId } = await orgWithHistory(2);
      const real = (await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit?limit=1`)).json.records[0] as AuditRecord;
      const forged = { ...real, seq: 999_999, metadata: { fields: ['name'] }, actor: { type: 'user', id: 'u_forger' } };
      for (const pk of [`ORG#${orgId}`, `AUDIT#org:${orgId}x`, 'FORGED#audit']) {
        await api.platform.table.doc.send(
          new PutCommand({
            TableName: api.platform.table.name,
            Item: { ...forged, pk, sk: `SEQ#${padSeq(999_999)}`, gsi1pk: Keys.auditByAction(`org:${orgId}`, 'org.updated'), gsi1sk: `SEQ#${padSeq(999_999)}` },
          }),
        );
      }
      const listed = (await allPages(owner, orgId, 'action=org.updated&limit=1')).flat();
      expect(seqs(listed)).toEqual([3, 2]);
      expect(listed.some((r) => r.actor.id === 'u_forger')).toBe(false);
    });
  });

  describe('who may read the trail', () => {
    it('refuses developers and viewers (403) and hides the organization from another organization\'s owner (404)', async () => {
      const { orgId } = await orgWithHistory(1);
      const developer = await addMember(api, orgId, 'developer');
      const viewer = await addMember(api, orgId, 'viewer');
      const other = await orgWithHistory(0);
      for (const path of [`/v1/orgs/${orgId}/audit`, `/v1/orgs/${orgId}/audit/verify`, `/v1/orgs/${orgId}/audit/export`]) {
        for (const user of [developer, viewer]) {
          const res = await actingAs(api, user).get(path);
          expect(res.status, path).toBe(403);
          expect(res.json.error.code).toBe('forbidden');
        }
        const stranger = await actingAs(api, other.owner).get(path);
        expect(stranger.status, path).toBe(404);
        expect(stranger.json.error.code).toBe('not_found');
        expect((await api.request('GET', path)).status).toBe(401);
      }
    });
  });

  describe('GET /v1/orgs/{orgId}/audit/verify', () => {
    it('reports an intact chain with its head hash', async () => {
      const { owner, orgId } = await orgWithHistory(3);
      const res = await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit/verify`);
      expect(res.status, res.text).toBe(200);
      const newest = (await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit?limit=1`)).json.records[0];
      expect(res.json).toEqual({ ok: true, checked: 4, headHash: newest.hash });
    });

    it('names the first record edited in the table behind the trail', async () => {
      const { owner, orgId } = await orgWithHistory(3);
      await api.platform.table.doc.send(
        new UpdateCommand({
          TableName: api.platform.table.name,
          Key: Keys.auditRecord(`org:${orgId}`, 2),
          UpdateExpression: 'SET #actor.#id = :someoneElse',
          ExpressionAttributeNames: { '#actor': 'actor', '#id': 'id' },
          ExpressionAttributeValues: { ':someoneElse': 'u_someone_else' },
        }),
      );
      const res = await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit/verify`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ ok: false, checked: 1, brokenAt: { seq: 2, reason: 'hash_mismatch' } });
    });
  });

  describe('GET /v1/orgs/{orgId}/audit/export', () => {
    it('exports the whole chain as JSON Lines, oldest first, whose hashes chain from genesis', async () => {
      const { owner, orgId } = await orgWithHistory(4);
      const res = await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit/export`);
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('rampart-next-cursor')).toBeNull();
      expect(res.text.endsWith('\n')).toBe(true);
      const lines = res.text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as AuditRecord);
      expect(seqs(lines)).toEqual([1, 2, 3, 4, 5]);
      let prevHash = GENESIS_HASH;
      for (const { hash, ...unsigned } of lines) {
        expect(unsigned.prevHash).toBe(prevHash);
        expect(hashAuditRecord(unsigned)).toBe(hash);
        prevHash = hash;
      }
      const verified = await actingAs(api, owner).get(`/v1/orgs/${orgId}/audit/verify`);
      expect(verified.json.headHash).toBe(prevHash);
    });

    it('splits an export larger than its part budget into parts that resume exactly where the last stopped', async () => {
      const { orgId } = await orgWithHistory(6);
      const scope = `org:${orgId}`;
      const whole = await exportAuditRecords(api.platform.table, scope);
      expect(whole.cursor).toBeUndefined();
      const lineBytes = Buffer.byteLength(JSON.stringify(whole.records[0])) + 1;
      const parts: AuditRecord[][] = [];
      let cursor: string | undefined;
      do {
        const part = await exportAuditRecords(api.platform.table, scope, cursor, lineBytes * 2 + 10);
        parts.push(part.records);
        cursor = part.cursor;
      } while (cursor && parts.length < 20);
      expect(parts.length).toBeGreaterThan(2);
      expect(parts.flat()).toEqual(whole.records);
      expect(seqs(parts.flat())).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });
  });
});
