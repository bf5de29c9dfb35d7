import { describe, expect, it } from 'vitest';
import { AuditRecord } from '../../functions/kernel/audit/record';
import { verifyAuditChain } from '../../functions/kernel/audit/verifier';
import { Keys } from '../../functions/kernel/storage/keys';
import { actingAs } from '../support/identity';
import { useTestApi, type TestResponse } from '../support/platform';
import { addMember, createProject, ownerWithOrg } from '../support/tenancy';

const web = { name: 'api', type: 'web', source: { image: 'ghcr.io/acme/api:1.4.2' }, cpu: 256, memory: 512, port: 8080 } as const;
const worker = { name: 'jobs', type: 'worker', source: { github: { repo: 'acme/jobs', branch: 'main' } }, cpu: 512, memory: 1024 } as const;

const issuePaths = (res: TestResponse): string[] => (res.json.error.issues ?? []).map((i: { path: string }) => i.path);

describe('projects and services', () => {
  const { api } = useTestApi();

  /** A user, their new organization (as owner) and its base path. */
  async function ownerWithOrgPath() {
    const { owner, orgId } = await ownerWithOrg(api);
    return { owner, orgId, base: `/v1/orgs/${orgId}` };
  }

  async function orgRecords(orgId: string) {
    const page = await api.platform.table.query({ schema: AuditRecord, partition: Keys.auditPartition(`org:${orgId}`), consistent: true });
    return page.items;
  }

  describe('projects', () => {
    it('creates, reads, lists, updates and deletes a project, each change audited in the org chain', async () => {
      const { owner, orgId, base } = await ownerWithOrgPath();
      const me = actingAs(api, owner);
      const created = await me.post(`${base}/projects`, { name: 'shop', description: 'The shop' });
      expect(created.status, created.text).toBe(201);
      expect(created.json).toMatchObject({ name: 'shop', description: 'The shop', version: 1 });
      expect(created.json.projectId).toMatch(/^p_[0-9a-f]{32}$/);
      const path = `${base}/projects/${created.json.projectId}`;

      expect((await me.get(path)).json).toEqual(created.json);
      expect((await me.get(`${base}/projects`)).json.projects).toEqual([created.json]);

      const renamed = await me.patch(path, { version: 1, name: 'store', description: null });
      expect(renamed.status).toBe(200);
      expect(renamed.json).toMatchObject({ name: 'store', version: 2 });
      expect(renamed.json).not.toHaveProperty('description');
      expect((await me.get(path)).json).toEqual(renamed.json);

      expect((await me.delete(path)).status).toBe(204);
      expect((await me.get(path)).status).toBe(404);

      const records = await orgRecords(orgId);
      expect(records.map((r) => r.action)).toEqual(['org.created', 'project.created', 'project.updated', 'project.deleted']);
      expect(records[2]).toMatchObject({ target: { type: 'project', id: created.json.projectId }, actor: { type: 'user', id: owner.userId }, metadata: { fields: ['name', 'description'], version: 2 } });
      expect(await verifyAuditChain(api.platform.table, `org:${orgId}`)).toMatchObject({ ok: true, checked: 4 });
    });

    it('pages through projects with an opaque cursor', async () => {
      const { owner, base } = await ownerWithOrgPath();
      const me = actingAs(api, owner);
      const ids = new Set<string>();
      for (const name of ['a', 'b', 'c', 'd', 'e']) ids.add((await me.post(`${base}/projects`, { name })).json.projectId);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await me.get(`${base}/projects?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.json.projects.length).toBeLessThanOrEqual(2);
        seen.push(...res.json.projects.map((p: { projectId: string }) => p.projectId));
        cursor = res.json.cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(new Set(seen)).toEqual(ids);
      expect(seen).toHaveLength(5);
    });

    it('refuses a cursor from another organization and a limit out of range', async () => {
      const a = await ownerWithOrgPath();
      const b = await ownerWithOrgPath();
      for (const name of ['a', 'b']) await actingAs(api, a.owner).post(`${a.base}/projects`, { name });
      const first = await actingAs(api, a.owner).get(`${a.base}/projects?limit=1`);
      expect(first.json.cursor).toBeDefined();
      const forged = await actingAs(api, b.owner).get(`${b.base}/projects?cursor=${encodeURIComponent(first.json.cursor)}`);
      expect(forged.status).toBe(400);
      expect(issuePaths(forged)).toEqual(['query.cursor']);
      for (const limit of ['0', '101', 'ten']) {
        const res = await actingAs(api, a.owner).get(`${a.base}/projects?limit=${limit}`);
        expect(res.status, limit).toBe(400);
        expect(issuePaths(res)).toEqual(['query.limit']);
      }
    });

    it.each([
      [{ name: 'Shop' }, 'body.name'],
      [{ name: '' }, 'body.name'],
      [{ name: 'a'.repeat(64) }, 'body.name'],
      [{ name: 'shop', description: 'x'.repeat(501) }, 'body.description'],
      [{ name: 'shop', owner: 'me' }, 'body.owner'],
    ])('refuses the project %j on %s', async (body, path) => {
      const { owner, base } = await ownerWithOrgPath();
      const res = await actingAs(api, owner).post(`${base}/projects`, body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(issuePaths(res)).toEqual([path]);
    });

    it('answers 412 to a PATCH based on a stale version, and lets one of two concurrent PATCHes win', async () => {
      const { owner, orgId, base } = await ownerWithOrgPath();
      const me = actingAs(api, owner);
      const path = `${base}/projects/${(await me.post(`${base}/projects`, { name: 'shop' })).json.projectId}`;
      expect((await me.patch(path, { version: 1, name: 'store' })).status).toBe(200);
      const stale = await me.patch(path, { version: 1, name: 'market' });
      expect(stale.status).toBe(412);
      expect(stale.json.error.code).toBe('precondition_failed');

      const racing = await Promise.all(['one', 'two', 'three'].map((name) => me.patch(path, { version: 2, name })));
      expect(racing.map((r) => r.status).sort()).toEqual([200, 412, 412]);
      const winner = racing.find((r) => r.status === 200)!;
      expect((await me.get(path)).json).toMatchObject({ name: winner.json.name, version: 3 });
      expect((await orgRecords(orgId)).filter((r) => r.action === 'project.updated')).toHaveLength(2);
      expect((await verifyAuditChain(api.platform.table, `org:${orgId}`)).ok).toBe(true);
    });

    it('lets a viewer read but not create, update or delete (403)', async () => {
      const { owner, orgId, base } = await ownerWithOrgPath();
      const project = (await actingAs(api, owner).post(`${base}/projects`, { name: 'shop' })).json;
      const path = `${base}/projects/${project.projectId}`;
      const viewer = actingAs(api, await addMember(api, orgId, 'viewer'));
      expect((await viewer.get(path)).status).toBe(200);
      expect((await viewer.get(`${base}/projects`)).status).toBe(200);
      for (const res of [await viewer.post(`${base}/projects`, { name: 'mine' }), await viewer.patch(path, { version: 1, name: 'mine' }), await viewer.delete(path)]) {
        expect(res.status).toBe(403);
        expect(res.json.error.code).toBe('forbidden');
      }
      expect((await actingAs(api, owner).get(path)).json).toEqual(project);
    });

    it('lets a developer create and update a project but not delete it (403)', async () => {
      const { orgId, base } = await ownerWithOrgPath();
      const developer = actingAs(api, await addMember(api, orgId, 'developer'));
      const created = await developer.post(`${base}/projects`, { name: 'shop' });
      expect(created.status).toBe(201);
      const path = `${base}/projects/${created.json.projectId}`;
      expect((await developer.patch(path, { version: 1, description: 'mine' })).status).toBe(200);
      const del = await developer.delete(path);
      expect(del.status).toBe(403);
      expect(del.json.error.code).toBe('forbidden');
      expect((await developer.get(path)).status).toBe(200);
    });

    it('refuses a second project of the same name in an organization (409 conflict), but not in another organization', async () => {
      const a = await ownerWithOrgPath();
      const b = await ownerWithOrgPath();
      expect((await actingAs(api, a.owner).post(`${a.base}/projects`, { name: 'shop' })).status).toBe(201);
      const again = await actingAs(api, a.owner).post(`${a.base}/projects`, { name: 'shop', description: 'twin' });
      expect(again.status).toBe(409);
      expect(again.json.error.code).toBe('conflict');
      expect((await actingAs(api, b.owner).post(`${b.base}/projects`, { name: 'shop' })).status).toBe(201);
      expect((await actingAs(api, a.owner).get(`${a.base}/projects`)).json.projects).toHaveLength(1);
      // The refused create wrote nothing, not even an audit record.
      expect((await orgRecords(a.orgId)).filter((r) => r.action === 'project.created')).toHaveLength(1);
    });

    it('frees a name when its project is deleted or renamed, and refuses a rename onto a taken name', async () => {
      const { owner, base } = await ownerWithOrgPath();
      const me = actingAs(api, owner);
      const shop = (await me.post(`${base}/projects`, { name: 'shop' })).json;
      const blog = (await me.post(`${base}/projects`, { name: 'blog' })).json;

      const onto = await me.patch(`${base}/projects/${blog.projectId}`, { version: 1, name: 'shop' });
      expect(onto.status).toBe(409);
      expect(onto.json.error.code).toBe('conflict');
      expect((await me.get(`${base}/projects/${blog.projectId}`)).json).toEqual(blog);

      expect((await me.patch(`${base}/projects/${shop.projectId}`, { version: 1, name: 'store' })).status).toBe(200);
      expect((await me.patch(`${base}/projects/${blog.projectId}`, { version: 1, name: 'shop' })).status).toBe(200);
      expect((await me.post(`${base}/projects`, { name: 'store' })).status).toBe(409);

      expect((await me.delete(`${base}/projects/${shop.projectId}`)).status).toBe(204);
      expect((await me.post(`${base}/projects`, { name: 'store' })).status).toBe(201);
      // A description-only change keeps the claim where it is.
      expect((await me.patch(`${base}/projects/${blog.projectId}`, { version: 2, description: 'words' })).status).toBe(200);
      expect((await me.post(`${base}/projects`, { name: 'shop' })).status).toBe(409);
    });

    it('lets exactly one of several concurrent creates with one name succeed', async () => {
      const { owner, base } = await ownerWithOrgPath();
      const racing = await Promise.all(Array.from({ length: 4 }, () => actingAs(api, owner).post(`${base}/projects`, { name: 'shop' })));
      expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
      expect((await actingAs(api, owner).get(`${base}/projects`)).json.projects).toHaveLength(1);
    });

    it("answers 404 to another organization's owner on every project route, and changes nothing", async () => {
      const mine = await ownerWithOrgPath();
      const theirs = await ownerWithOrgPath();
      const project = (await actingAs(api, mine.owner).post(`${mine.base}/projects`, { name: 'shop' })).json;
      const intruder = actingAs(api, theirs.owner);
      // Their own org in the path, my project id: the project is not in their org.
      const viaTheirOrg = `${theirs.base}/projects/${project.projectId}`;
      // My org in the path: they are not a member.
      const viaMyOrg = `${mine.base}/projects/${project.projectId}`;
      for (const path of [viaTheirOrg, viaMyOrg]) {
        for (const res of [await intruder.get(path), await intruder.patch(path, { version: 1, name: 'pwned' }), await intruder.delete(path)]) {
          expect(res.status, path).toBe(404);
          expect(res.json.error.code).toBe('not_found');
        }
      }
      expect((await intruder.get(`${mine.base}/projects`)).status).toBe(404);
      expect((await actingAs(api, mine.owner).get(viaMyOrg)).json).toEqual(project);
    });
  });

  describe('services', () => {
    async function projectWithOwner() {
      const ctx = await ownerWithOrgPath();
      const projectId = await createProject(actingAs(api, ctx.owner), ctx.orgId, { name: 'shop' });
      return { ...ctx, projectId, projectPath: `${ctx.base}/projects/${projectId}` };
    }

    it('creates, reads, lists, updates and deletes a service with its defaults, each change audited', async () => {
      const { owner, orgId, projectPath } = await projectWithOwner();
      const me = actingAs(api, owner);
      const created = await me.post(`${projectPath}/services`, web);
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ ...web, replicas: 1, egress: 'internet', public: false, version: 1 });
      expect(created.json.serviceId).toMatch(/^svc_[0-9a-f]{32}$/);
      const path = `${projectPath}/services/${created.json.serviceId}`;
      expect((await me.get(path)).json).toEqual(created.json);

      const db = await me.post(`${projectPath}/services`, { name: 'db', type: 'database', source: { image: 'postgres:17' }, cpu: 1024, memory: 4096 });
      expect(db.json).toMatchObject({ egress: 'none', replicas: 1 });
      expect(db.json).not.toHaveProperty('public');
      const list = await me.get(`${projectPath}/services`);
      expect(list.json.services.map((s: { serviceId: string }) => s.serviceId).sort()).toEqual([created.json.serviceId, db.json.serviceId].sort());

      const scaled = await me.patch(path, { version: 1, replicas: 3, cpu: 512, memory: 2048, public: true });
      expect(scaled.status).toBe(200);
      expect(scaled.json).toMatchObject({ name: 'api', port: 8080, replicas: 3, cpu: 512, memory: 2048, public: true, version: 2 });
      expect((await me.get(path)).json).toEqual(scaled.json);

      expect((await me.delete(path)).status).toBe(204);
      expect((await me.get(path)).status).toBe(404);
      expect((await me.delete(path)).status).toBe(404);

      const records = (await orgRecords(orgId)).filter((r) => r.action.startsWith('service.'));
      expect(records.map((r) => r.action)).toEqual(['service.created', 'service.created', 'service.updated', 'service.deleted']);
      expect(records[2]!.metadata).toEqual({ projectId: created.json.projectId, fields: ['cpu', 'memory', 'replicas', 'public'], version: 2 });
      expect(records[3]).toMatchObject({ target: { type: 'service', id: created.json.serviceId } });
      expect((await verifyAuditChain(api.platform.table, `org:${orgId}`)).ok).toBe(true);
    });

    it.each([
      ['cpu 256 with memory 4096', { ...web, memory: 4096 }, 'body.memory'],
      ['an unsupported cpu', { ...web, cpu: 300 }, 'body.cpu'],
      ['a port on a worker', { ...worker, port: 8080 }, 'body.port'],
      ['public on a worker', { ...worker, public: true }, 'body.public'],
      ['a web service without a port', { ...web, port: undefined }, 'body.port'],
      ['a privileged port', { ...web, port: 80 }, 'body.port'],
      ['11 replicas', { ...web, replicas: 11 }, 'body.replicas'],
      ['a health check path without /', { ...web, healthCheckPath: 'health' }, 'body.healthCheckPath'],
      ['an image without a tag', { ...web, source: { image: 'ghcr.io/acme/api' } }, 'body.source.image'],
      ['two sources', { ...web, source: { image: 'nginx:1', github: { repo: 'a/b', branch: 'main' } } }, 'body.source'],
      ['a GitHub repo without an owner', { ...worker, source: { github: { repo: 'jobs', branch: 'main' } } }, 'body.source.github.repo'],
      ['an unknown type', { ...worker, type: 'lambda' }, 'body.type'],
      ['an uppercase name', { ...worker, name: 'Jobs' }, 'body.name'],
      ['an unknown egress', { ...worker, egress: 'vpc' }, 'body.egress'],
      ['an unknown field', { ...worker, privileged: true }, 'body.privileged'],
    ])('refuses %s (400 on %s)', async (_what, body, path) => {
      const { owner, projectPath } = await projectWithOwner();
      const res = await actingAs(api, owner).post(`${projectPath}/services`, body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(issuePaths(res)).toEqual([path]);
    });

    it('checks a PATCH against the whole merged spec and refuses to rename', async () => {
      const { owner, projectPath } = await projectWithOwner();
      const me = actingAs(api, owner);
      const path = `${projectPath}/services/${(await me.post(`${projectPath}/services`, web)).json.serviceId}`;
      const tooMuch = await me.patch(path, { version: 1, memory: 4096 });
      expect(tooMuch.status).toBe(400);
      expect(issuePaths(tooMuch)).toEqual(['body.memory']);
      const toWorker = await me.patch(path, { version: 1, type: 'worker' });
      expect(issuePaths(toWorker)).toEqual(['body.port']);
      expect(issuePaths(await me.patch(path, { version: 1, name: 'other' }))).toEqual(['body.name']);
      const ok = await me.patch(path, { version: 1, type: 'worker', port: null });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ type: 'worker', version: 2 });
      expect(ok.json).not.toHaveProperty('port');
      expect(ok.json).not.toHaveProperty('public');
    });

    it('answers 412 to a stale version and lets one of two concurrent PATCHes win', async () => {
      const { owner, projectPath } = await projectWithOwner();
      const me = actingAs(api, owner);
      const path = `${projectPath}/services/${(await me.post(`${projectPath}/services`, worker)).json.serviceId}`;
      expect((await me.patch(path, { version: 1, replicas: 2 })).status).toBe(200);
      const stale = await me.patch(path, { version: 1, replicas: 5 });
      expect(stale.status).toBe(412);
      expect(stale.json.error.code).toBe('precondition_failed');
      const racing = await Promise.all([3, 4].map((replicas) => me.patch(path, { version: 2, replicas })));
      expect(racing.map((r) => r.status).sort()).toEqual([200, 412]);
      const winner = racing.find((r) => r.status === 200)!;
      expect((await me.get(path)).json).toMatchObject({ replicas: winner.json.replicas, version: 3 });
    });

    it('refuses to delete a project while it has services (409), and allows it once they are gone', async () => {
      const { owner, orgId, projectPath } = await projectWithOwner();
      const me = actingAs(api, owner);
      const service = (await me.post(`${projectPath}/services`, worker)).json;
      const refused = await me.delete(projectPath);
      expect(refused.status).toBe(409);
      expect(refused.json.error.code).toBe('conflict');
      expect((await me.get(`${projectPath}/services/${service.serviceId}`)).status).toBe(200);
      expect((await me.delete(`${projectPath}/services/${service.serviceId}`)).status).toBe(204);
      expect((await me.delete(projectPath)).status).toBe(204);
      expect((await me.post(`${projectPath}/services`, worker)).status).toBe(404);
      expect((await verifyAuditChain(api.platform.table, `org:${orgId}`)).ok).toBe(true);
    });

    it('never leaves a service under a deleted project when both race', async () => {
      const { owner, projectPath } = await projectWithOwner();
      const me = actingAs(api, owner);
      const [created, deleted] = await Promise.all([me.post(`${projectPath}/services`, worker), me.delete(projectPath)]);
      // Either order is fine; both succeeding is not.
      expect([created.status, deleted.status].sort()).not.toEqual([201, 204].sort());
      if (created.status === 201) expect((await me.get(`${projectPath}/services/${created.json.serviceId}`)).status).toBe(200);
      else expect((await me.get(projectPath)).status).toBe(404);
    });

    it('refuses a second service of the same name in a project (409 conflict), but not in another project, and frees it on delete', async () => {
      const { owner, base, projectPath } = await projectWithOwner();
      const me = actingAs(api, owner);
      const first = await me.post(`${projectPath}/services`, worker);
      expect(first.status).toBe(201);
      const again = await me.post(`${projectPath}/services`, { ...web, name: worker.name });
      expect(again.status).toBe(409);
      expect(again.json.error.code).toBe('conflict');

      const other = (await me.post(`${base}/projects`, { name: 'other' })).json;
      expect((await me.post(`${base}/projects/${other.projectId}/services`, worker)).status).toBe(201);

      expect((await me.delete(`${projectPath}/services/${first.json.serviceId}`)).status).toBe(204);
      expect((await me.post(`${projectPath}/services`, worker)).status).toBe(201);
      expect((await me.get(`${projectPath}/services`)).json.services).toHaveLength(1);
    });

    it('lets exactly one of several concurrent service creates with one name succeed', async () => {
      const { owner, projectPath } = await projectWithOwner();
      const racing = await Promise.all(Array.from({ length: 4 }, () => actingAs(api, owner).post(`${projectPath}/services`, worker)));
      expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
      expect((await actingAs(api, owner).get(`${projectPath}/services`)).json.services).toHaveLength(1);
    });

    it('lets a viewer read services but not write or delete them (403)', async () => {
      const { owner, orgId, projectPath } = await projectWithOwner();
      const service = (await actingAs(api, owner).post(`${projectPath}/services`, worker)).json;
      const path = `${projectPath}/services/${service.serviceId}`;
      const viewer = actingAs(api, await addMember(api, orgId, 'viewer'));
      expect((await viewer.get(path)).json).toEqual(service);
      expect((await viewer.get(`${projectPath}/services`)).status).toBe(200);
      for (const res of [await viewer.post(`${projectPath}/services`, { ...worker, name: 'other' }), await viewer.patch(path, { version: 1, replicas: 0 }), await viewer.delete(path)]) {
        expect(res.status).toBe(403);
        expect(res.json.error.code).toBe('forbidden');
      }
    });

    it('lets a developer create, update and delete services', async () => {
      const { orgId, projectPath } = await projectWithOwner();
      const developer = actingAs(api, await addMember(api, orgId, 'developer'));
      const created = await developer.post(`${projectPath}/services`, worker);
      expect(created.status).toBe(201);
      const path = `${projectPath}/services/${created.json.serviceId}`;
      expect((await developer.patch(path, { version: 1, replicas: 0 })).status).toBe(200);
      expect((await developer.delete(path)).status).toBe(204);
    });

    it("answers 404 to another organization's owner for my service ids, under their org or mine", async () => {
      const mine = await projectWithOwner();
      const theirs = await projectWithOwner();
      const service = (await actingAs(api, mine.owner).post(`${mine.projectPath}/services`, worker)).json;
      const intruder = actingAs(api, theirs.owner);
      const paths = [
        `${mine.projectPath}/services/${service.serviceId}`,
        `${theirs.base}/projects/${mine.projectId}/services/${service.serviceId}`,
        // Their own project, my service id: the key holds the project, so nothing is found.
        `${theirs.projectPath}/services/${service.serviceId}`,
      ];
      for (const path of paths) {
        for (const res of [await intruder.get(path), await intruder.patch(path, { version: 1, replicas: 0 }), await intruder.delete(path)]) {
          expect(res.status, path).toBe(404);
          expect(res.json.error.code).toBe('not_found');
        }
      }
      expect((await intruder.get(`${theirs.base}/projects/${mine.projectId}/services`)).status).toBe(404);
      expect((await intruder.post(`${theirs.base}/projects/${mine.projectId}/services`, worker)).status).toBe(404);
      expect((await actingAs(api, mine.owner).get(paths[0]!)).json).toEqual(service);
    });
  });
});
