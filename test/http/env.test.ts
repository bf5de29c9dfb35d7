import { randomBytes } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AuditRecord } from '../../functions/kernel/audit/record';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import { Keys as TenantKeys, orgPartition } from '../../functions/kernel/storage/keys';
import { SealedValueError } from '../../functions/kernel/keys/aead';
import { OrgKeyRing } from '../../functions/kernel/keys/org-keys';
import { Keys } from '../../functions/kernel/storage/keys';
import { EnvVarRecord, MAX_ENV_IMPORT } from '../../functions/projects/env';
import { actingAs } from '../support/identity';
import { orgKeyOf } from '../support/org-keys';
import { useTestApi, type TestResponse } from '../support/platform';
import { addMember, createProject, createService, ownerWithOrg } from '../support/tenancy';

const issueMessages = (res: TestResponse): string[] => (res.json.error.issues ?? []).map((i: { path: string; message: string }) => `${i.path}: ${i.message}`);
const issuePaths = (res: TestResponse): string[] => (res.json.error.issues ?? []).map((i: { path: string }) => i.path);
/** A random value no response, record or log line may ever hold. */
const canary = () => `canary-${randomBytes(16).toString('hex')}`;
const dotenvOf = (names: string[], value = 'v') => names.map((n) => `${n}=${value}`).join('\n');

describe('environment variables', () => {
  // Every log line of this file is kept, at every level, to look for values in it.
  const { api, logLines } = useTestApi({ captureLogs: true });

  /** An owner, their organization (with its key) and a project, with its env path and a service's. */
  async function world() {
    const { owner, orgId } = await ownerWithOrg(api);
    const key = await orgKeyOf(api, orgId);
    const me = actingAs(api, owner);
    const projectId = await createProject(me, orgId);
    const serviceId = await createService(me, orgId, projectId);
    const projectEnv = `/v1/orgs/${orgId}/projects/${projectId}/env`;
    const serviceEnv = `/v1/orgs/${orgId}/projects/${projectId}/services/${serviceId}/env`;
    return { owner, me, orgId, key, projectId, serviceId, projectEnv, serviceEnv };
  }

  /** Every item of the organization's partition, raw (not through the domain's schemas). */
  async function rawOrgItems(orgId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await api.platform.table.doc.send(
        new QueryCommand({ TableName: api.platform.table.name, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': orgPartition(mintOrgScope(orgId)) }, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async function orgRecords(orgId: string) {
    const page = await api.platform.table.query({ schema: AuditRecord, partition: Keys.auditPartition(`org:${orgId}`), consistent: true });
    return page.items;
  }

  async function storedVar(orgId: string, projectId: string, serviceId: string | undefined, name: string) {
    const record = await api.platform.table.get(TenantKeys.envVar(mintOrgScope(orgId), projectId, serviceId, name), EnvVarRecord);
    expect(record, `stored variable ${name}`).toBeDefined();
    return record!;
  }

  describe('set, list and delete', () => {
    it('sets a project variable, answering its name and version but never its value, and versions each set', async () => {
      const { owner, me, projectEnv } = await world();
      const value = canary();
      const first = await me.put(`${projectEnv}/DATABASE_URL`, { value });
      expect(first.status, first.text).toBe(200);
      expect(first.json).toEqual({ name: 'DATABASE_URL', version: 1, updatedAt: expect.any(String), updatedBy: owner.userId });
      const second = await me.put(`${projectEnv}/DATABASE_URL`, { value: canary() });
      expect(second.json).toMatchObject({ name: 'DATABASE_URL', version: 2 });

      const list = await me.get(projectEnv);
      expect(list.status).toBe(200);
      expect(list.json).toEqual({ variables: [{ name: 'DATABASE_URL', version: 2, updatedAt: second.json.updatedAt, updatedBy: owner.userId }] });
      for (const res of [first, second, list]) expect(res.text).not.toContain(value);

      expect((await me.delete(`${projectEnv}/DATABASE_URL`)).status).toBe(204);
      expect((await me.get(projectEnv)).json).toEqual({ variables: [] });
      expect((await me.delete(`${projectEnv}/DATABASE_URL`)).json.error.code).toBe('not_found');
    });

    it('keeps service variables apart from project variables', async () => {
      const { me, projectEnv, serviceEnv } = await world();
      expect((await me.put(`${projectEnv}/SHARED`, { value: 'p' })).status).toBe(200);
      expect((await me.put(`${serviceEnv}/SHARED`, { value: 's' })).status).toBe(200);
      expect((await me.put(`${serviceEnv}/ONLY_SERVICE`, { value: 's' })).status).toBe(200);
      expect((await me.get(projectEnv)).json.variables.map((v: { name: string }) => v.name)).toEqual(['SHARED']);
      expect((await me.get(serviceEnv)).json.variables.map((v: { name: string }) => v.name)).toEqual(['ONLY_SERVICE', 'SHARED']);
      expect((await me.delete(`${serviceEnv}/SHARED`)).status).toBe(204);
      expect((await me.get(projectEnv)).json.variables.map((v: { name: string }) => v.name)).toEqual(['SHARED']);
    });

    it('lets a viewer list names but not set or delete (403)', async () => {
      const { me, orgId, projectEnv, serviceEnv } = await world();
      expect((await me.put(`${projectEnv}/API_TOKEN`, { value: canary() })).status).toBe(200);
      const viewer = actingAs(api, await addMember(api, orgId, 'viewer'));
      const list = await viewer.get(projectEnv);
      expect(list.status).toBe(200);
      expect(list.json.variables.map((v: { name: string }) => v.name)).toEqual(['API_TOKEN']);
      for (const res of [await viewer.put(`${projectEnv}/API_TOKEN`, { value: 'x' }), await viewer.put(`${serviceEnv}/NEW`, { value: 'x' }), await viewer.delete(`${projectEnv}/API_TOKEN`), await viewer.post(`${projectEnv}/import`, { dotenv: 'A=1' })]) {
        expect(res.status).toBe(403);
        expect(res.json.error.code).toBe('forbidden');
      }
      const developer = actingAs(api, await addMember(api, orgId, 'developer'));
      expect((await developer.put(`${serviceEnv}/FROM_DEVELOPER`, { value: 'x' })).status).toBe(200);
    });

    it('answers 409 when the organization has no key to seal with, and stores nothing', async () => {
      const { me, orgId, projectEnv } = await world();
      await api.platform.table.doc.send(
        new UpdateCommand({ TableName: api.platform.table.name, Key: TenantKeys.org(mintOrgScope(orgId)), UpdateExpression: 'REMOVE orgKeys' }),
      );
      const res = await me.put(`${projectEnv}/A`, { value: 'x' });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('conflict');
      expect((await me.get(projectEnv)).json.variables).toEqual([]);
    });
  });

  describe('deleting their owner', () => {
    it('removes a service’s and then a project’s variables with them, leaving no sealed value behind', async () => {
      const w = await world();
      expect((await w.me.put(`${w.projectEnv}/SHARED_TOKEN`, { value: 'project-level' })).status).toBe(200);
      expect((await w.me.put(`${w.serviceEnv}/QUEUE_URL`, { value: 'service-level' })).status).toBe(200);
      const envItems = async () => (await rawOrgItems(w.orgId)).filter((i) => /^ENV(COUNT)?#/.test(String(i.sk)));
      expect((await envItems()).length).toBeGreaterThan(0);

      expect((await w.me.delete(`/v1/orgs/${w.orgId}/projects/${w.projectId}/services/${w.serviceId}`)).status).toBe(204);
      expect((await envItems()).map((i) => i.sk)).toEqual(expect.not.arrayContaining([expect.stringContaining(w.serviceId)]));
      expect((await w.me.delete(`/v1/orgs/${w.orgId}/projects/${w.projectId}`)).status).toBe(204);
      expect(await envItems()).toEqual([]);
    });
  });

  describe('sealing', () => {
    it('never shows a value in a response nor stores it in clear, yet it opens with the organization key for its own name only', async () => {
      const { me, orgId, key, projectId, serviceId, projectEnv, serviceEnv } = await world();
      const projectValue = canary();
      const serviceValue = canary();
      const imported = canary();
      const responses = [
        await me.put(`${projectEnv}/SECRET_ONE`, { value: projectValue }),
        await me.put(`${serviceEnv}/SECRET_TWO`, { value: serviceValue }),
        await me.post(`${serviceEnv}/import`, { dotenv: `SECRET_THREE="${imported}"\nOTHER=1` }),
        await me.get(projectEnv),
        await me.get(serviceEnv),
        await me.delete(`${serviceEnv}/OTHER`),
      ];
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 204]);
      for (const res of responses) for (const value of [projectValue, serviceValue, imported]) expect(res.text).not.toContain(value);

      const raw = JSON.stringify(await rawOrgItems(orgId));
      expect(raw).toContain('SECRET_ONE');
      for (const value of [projectValue, serviceValue, imported]) {
        expect(raw).not.toContain(value);
        expect(raw).not.toContain(Buffer.from(value).toString('base64'));
      }
      const audit = JSON.stringify(await orgRecords(orgId));
      const logs = logLines().join('');
      expect(logs).toContain(orgId); // the capture sees this file's requests
      for (const value of [projectValue, serviceValue, imported]) {
        expect(audit).not.toContain(value);
        expect(logs).not.toContain(value);
      }

      // Sealed, not dropped: the deploy path's key ring opens each for exactly its identity.
      const opened = await new OrgKeyRing(api.platform.keys).open(orgId, key);
      const one = await storedVar(orgId, projectId, undefined, 'SECRET_ONE');
      const two = await storedVar(orgId, projectId, serviceId, 'SECRET_TWO');
      const three = await storedVar(orgId, projectId, serviceId, 'SECRET_THREE');
      expect(one.keyVersion).toBe(key.version);
      const identity = (service: string, name: string, version: number) => ({ org: orgId, project: projectId, service, name, version });
      expect(opened.openEnvValue(identity('', 'SECRET_ONE', 1), one.sealed).toString('utf8')).toBe(projectValue);
      expect(opened.openEnvValue(identity(serviceId, 'SECRET_TWO', 1), two.sealed).toString('utf8')).toBe(serviceValue);
      expect(opened.openEnvValue(identity(serviceId, 'SECRET_THREE', 1), three.sealed).toString('utf8')).toBe(imported);

      // Moved to another name, level or version in the table, a sealed value no longer opens.
      expect(() => opened.openEnvValue(identity('', 'SECRET_TWO', 1), one.sealed)).toThrow(SealedValueError);
      expect(() => opened.openEnvValue(identity(serviceId, 'SECRET_ONE', 1), one.sealed)).toThrow(SealedValueError);
      expect(() => opened.openEnvValue(identity('', 'SECRET_ONE', 2), one.sealed)).toThrow(SealedValueError);
      await api.platform.table.doc.send(
        new UpdateCommand({
          TableName: api.platform.table.name,
          Key: TenantKeys.envVar(mintOrgScope(orgId), projectId, serviceId, 'SECRET_TWO'),
          UpdateExpression: 'SET sealed = :moved',
          ExpressionAttributeValues: { ':moved': three.sealed },
        }),
      );
      const tampered = await storedVar(orgId, projectId, serviceId, 'SECRET_TWO');
      expect(() => opened.openEnvValue(identity(serviceId, 'SECRET_TWO', tampered.version), tampered.sealed)).toThrow(SealedValueError);
    });

    it('records name and version in the audit trail, never the value', async () => {
      const { owner, me, orgId, projectId, serviceId, projectEnv, serviceEnv } = await world();
      const value = canary();
      await me.put(`${projectEnv}/TOKEN`, { value });
      await me.put(`${projectEnv}/TOKEN`, { value });
      await me.delete(`${projectEnv}/TOKEN`);
      await me.put(`${serviceEnv}/TOKEN`, { value });
      await me.post(`${serviceEnv}/import`, { dotenv: `A=${value}\nB=${value}` });
      const records = (await orgRecords(orgId)).filter((r) => r.action.startsWith('env.'));
      expect(records.map((r) => [r.action, r.target, r.metadata])).toEqual([
        ['env.set', { type: 'project', id: projectId }, { level: 'project', projectId, name: 'TOKEN', version: 1 }],
        ['env.set', { type: 'project', id: projectId }, { level: 'project', projectId, name: 'TOKEN', version: 2 }],
        ['env.deleted', { type: 'project', id: projectId }, { level: 'project', projectId, name: 'TOKEN', version: 2 }],
        ['env.set', { type: 'service', id: serviceId }, { level: 'service', projectId, serviceId, name: 'TOKEN', version: 1 }],
        ['env.imported', { type: 'service', id: serviceId }, { projectId, serviceId, count: 2 }],
      ]);
      expect(records.every((r) => r.actor.id === owner.userId)).toBe(true);
      expect(JSON.stringify(records)).not.toContain(value);
    });
  });

  describe('rules', () => {
    it.each([
      ['a lower-case name', 'database_url'],
      ['a name starting with a digit', '1PASSWORD'],
      ['the reserved prefix AWS_', 'AWS_SECRET_ACCESS_KEY'],
      ['the reserved prefix ECS_', 'ECS_ENABLE_CONTAINER_METADATA'],
      ['the reserved prefix RAMPART_', 'RAMPART_ORG_ID'],
      ['a name of 256 characters', 'A'.repeat(256)],
    ])('refuses %s (400 on the name)', async (_label, name) => {
      const { me, projectEnv } = await world();
      const res = await me.put(`${projectEnv}/${name}`, { value: 'x' });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(issuePaths(res)).toEqual(['params.name']);
    });

    it('accepts a name of 255 characters and a value of 32 KiB, and refuses 32 KiB + 1 byte', async () => {
      const { me, serviceEnv } = await world();
      expect((await me.put(`${serviceEnv}/${'N'.repeat(255)}`, { value: 'é'.repeat(16 * 1024) })).status).toBe(200);
      const over = await me.put(`${serviceEnv}/BIG`, { value: 'é'.repeat(16 * 1024) + 'x' });
      expect(over.status).toBe(400);
      expect(issuePaths(over)).toEqual(['body.value']);
      expect((await me.get(serviceEnv)).json.variables.map((v: { name: string }) => v.name)).toEqual(['N'.repeat(255)]);
    });

    it('refuses the 501st variable of a service, by set or by import', async () => {
      const { me, serviceEnv } = await world();
      const names = Array.from({ length: 500 }, (_, i) => `VAR_${String(i).padStart(3, '0')}`);
      for (let i = 0; i < names.length; i += MAX_ENV_IMPORT) {
        const res = await me.post(`${serviceEnv}/import`, { dotenv: dotenvOf(names.slice(i, i + MAX_ENV_IMPORT)) });
        expect(res.status, res.text).toBe(200);
      }
      expect((await me.get(serviceEnv)).json.variables).toHaveLength(500);
      const set = await me.put(`${serviceEnv}/VAR_500`, { value: 'x' });
      expect(set.status).toBe(400);
      expect(set.json.error.code).toBe('validation_failed');
      const imported = await me.post(`${serviceEnv}/import`, { dotenv: dotenvOf(['VAR_000', 'VAR_500']) });
      expect(imported.status).toBe(400);
      expect(issuePaths(imported)).toEqual(['body.dotenv']);
      // Changing an existing variable is no new one: still allowed at the limit.
      expect((await me.put(`${serviceEnv}/VAR_499`, { value: 'y' })).json.version).toBe(2);
      // Deleting one makes room for one.
      expect((await me.delete(`${serviceEnv}/VAR_000`)).status).toBe(204);
      expect((await me.put(`${serviceEnv}/VAR_500`, { value: 'x' })).status).toBe(200);
    }, 60_000);
  });

  describe('import', () => {
    it('applies a .env file, creating and updating variables', async () => {
      const { me, projectEnv } = await world();
      await me.put(`${projectEnv}/EXISTING`, { value: 'old' });
      const res = await me.post(`${projectEnv}/import`, { dotenv: '# app\nexport EXISTING=new\nAPI_URL="https://api.example"\n\nQUOTED=\'x y\'\n' });
      expect(res.status, res.text).toBe(200);
      expect(res.json.variables.map((v: { name: string; version: number }) => [v.name, v.version])).toEqual([
        ['EXISTING', 2],
        ['API_URL', 1],
        ['QUOTED', 1],
      ]);
      expect((await me.get(projectEnv)).json.variables.map((v: { name: string }) => v.name)).toEqual(['API_URL', 'EXISTING', 'QUOTED']);
    });

    it('applies nothing when one line is malformed, naming the line', async () => {
      const { me, projectEnv } = await world();
      const value = canary();
      const res = await me.post(`${projectEnv}/import`, { dotenv: `GOOD=${value}\nALSO_GOOD=1\nthis is not an assignment\n` });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(issueMessages(res)).toEqual([expect.stringMatching(/^body\.dotenv: line 3: /)]);
      expect(res.text).not.toContain(value);
      expect(logLines().join('')).not.toContain(value);
      expect((await me.get(projectEnv)).json.variables).toEqual([]);
    });

    it.each([
      ['a reserved prefix', 'GOOD=1\nAWS_REGION=eu-west-1'],
      ['a lower-case name', 'GOOD=1\nlower=1'],
      ['an oversize value', `GOOD=1\nBIG=${'x'.repeat(32 * 1024 + 1)}`],
    ])('applies nothing when one variable breaks a rule (%s)', async (_label, dotenv) => {
      const { me, projectEnv } = await world();
      const res = await me.post(`${projectEnv}/import`, { dotenv });
      expect(res.status).toBe(400);
      expect(issueMessages(res)).toEqual([expect.stringMatching(/^body\.dotenv: line 2: /)]);
      expect((await me.get(projectEnv)).json.variables).toEqual([]);
    });

    it('refuses an import of more variables than one transaction holds, and an empty one', async () => {
      const { me, projectEnv } = await world();
      const tooMany = await me.post(`${projectEnv}/import`, { dotenv: dotenvOf(Array.from({ length: 97 }, (_, i) => `V${i}`)) });
      expect(tooMany.status).toBe(400);
      expect(issuePaths(tooMany)).toEqual(['body.dotenv']);
      expect((await me.post(`${projectEnv}/import`, { dotenv: '# nothing\n' })).status).toBe(400);
      expect((await me.get(projectEnv)).json.variables).toEqual([]);
    });

    it('answers 413 to a file larger than the 64 KiB body limit', async () => {
      const { me, projectEnv } = await world();
      const res = await me.post(`${projectEnv}/import`, { dotenv: `A=${'x'.repeat(30_000)}\nB=${'x'.repeat(30_000)}\nC=${'x'.repeat(10_000)}` });
      expect(res.status).toBe(413);
      expect(res.json.error.code).toBe('payload_too_large');
    });
  });
});
