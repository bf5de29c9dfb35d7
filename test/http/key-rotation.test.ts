import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { mintOrgScope } from '../../functions/kernel/auth/org-scope';
import { Keys as TenantKeys, orgPartition } from '../../functions/kernel/storage/keys';
import { getOrg, OrgKeyRotatedError, sealingKeyCheck } from '../../functions/kernel/tenancy/org-record';
import { SealedValueError } from '../../functions/kernel/keys/aead';
import { OrgKeyRing } from '../../functions/kernel/keys/org-keys';
import { openEnvironment } from '../../functions/deploy/environment';
import { resealOrgValues } from '../../functions/deploy/reseal';
import { handler as deployConsumer } from '../../functions/deploy/consumer';
import type { Context } from 'aws-lambda';
import { createLogger } from '../../functions/kernel/logging/logger';
import { envVarRecord, EnvVarRecord, putEnvVarWrite } from '../../functions/projects/env';
import { EventRules } from '../../functions/kernel/events/rules';
import { LocalEventBus } from '../../local/local-event-bus';
import { actingAs } from '../support/identity';
import { orgKeyOf } from '../support/org-keys';
import { testPlatform, useTestApi, type TestApi } from '../support/platform';
import { addMember, createProject, createService, ownerWithOrg } from '../support/tenancy';

const randomValue = () => `v-${randomBytes(12).toString('hex')}`;
const logger = createLogger('deploy-test');

/**
 * One platform is installed per process at a time, so the two setups run one after the other: as
 * deployed (events reach the deploy consumer), then with a bus that delivers nothing (a re-seal
 * that has not run yet, driven by hand).
 */
describe('organization key rotation', () => {
  /** An organization with a project and a service, and `count` variables at each level (set by import). */
  async function world(on: TestApi, count: number) {
    const { owner, orgId } = await ownerWithOrg(on);
    const me = actingAs(on, owner);
    const projectId = await createProject(me, orgId);
    const serviceId = await createService(me, orgId, projectId);
    const projectEnv = `/v1/orgs/${orgId}/projects/${projectId}/env`;
    const serviceEnv = `/v1/orgs/${orgId}/projects/${projectId}/services/${serviceId}/env`;
    const expected = new Map<string, string>();
    for (const [path, prefix] of [
      [projectEnv, 'SHARED'],
      [serviceEnv, 'OWN'],
    ] as const) {
      const lines = Array.from({ length: count }, (_, i) => {
        const name = `${prefix}_${i}`;
        const value = randomValue();
        expected.set(name, value);
        return `${name}=${value}`;
      });
      const res = await me.post(`${path}/import`, { dotenv: lines.join('\n') });
      expect(res.status, res.text).toBe(200);
    }
    const scope = mintOrgScope(orgId);
    return { owner, me, orgId, scope, projectId, serviceId, projectEnv, serviceEnv, expected, keysPath: `/v1/orgs/${orgId}/keys` };
  }

  /** The organization's variable items, raw. */
  async function rawVars(on: TestApi, orgId: string): Promise<Record<string, unknown>[]> {
    const out = await on.platform.table.doc.send(
      new QueryCommand({ TableName: on.platform.table.name, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :env)', ExpressionAttributeValues: { ':pk': orgPartition(mintOrgScope(orgId)), ':env': 'ENV#' }, ConsistentRead: true }),
    );
    return out.Items ?? [];
  }
  const storedVars = async (on: TestApi, orgId: string): Promise<EnvVarRecord[]> => (await rawVars(on, orgId)).map((i) => EnvVarRecord.parse(i));

  const asMap = (vars: { name: string; value: string }[]) => new Map(vars.map((v) => [v.name, v.value]));

  describe('as deployed', () => {
    const { api } = useTestApi();

    it('seals new values under the new version at once and re-seals the rest while every read keeps opening', async () => {
      const w = await world(api, 40);
      const deps = { table: api.platform.table, ring: new OrgKeyRing(api.platform.keys) };
      const owner = { projectId: w.projectId, serviceId: w.serviceId };
      const beforeRaw = await rawVars(api, w.orgId);
      const before = beforeRaw.map((i) => EnvVarRecord.parse(i));
      expect(new Set(before.map((v) => v.keyVersion))).toEqual(new Set([1]));

      // Deploy-side reads run all through the rotation; each must see every value, unchanged.
      let reading = true;
      let reads = 0;
      const failures: unknown[] = [];
      const reader = (async () => {
        while (reading) {
          try {
            const env = asMap(await openEnvironment(deps, w.scope, owner));
            for (const [name, value] of w.expected) if (env.get(name) !== value) failures.push(`${name} read ${env.get(name)}`);
            reads++;
          } catch (error) {
            failures.push(error);
          }
        }
      })();

      const rotated = await w.me.post(`${w.keysPath}/rotate`);
      const readsBeforeReseal = reads;
      expect(rotated.status, rotated.text).toBe(202);
      expect(rotated.json).toMatchObject({ keyVersion: 2, previousVersion: 1, status: 'resealing', resealed: 0, resumed: false });
      // Written while the re-seal runs: sealed under version 2 straight away.
      const late = randomValue();
      expect((await w.me.put(`${w.serviceEnv}/LATE`, { value: late })).status).toBe(200);

      await api.platform.events.drain();
      // Reads ran while the re-seal did, with values under both versions.
      expect(reads).toBeGreaterThan(readsBeforeReseal);
      reading = false;
      await reader;
      expect(failures).toEqual([]);
      expect(reads).toBeGreaterThan(0);

      const keys = await w.me.get(w.keysPath);
      expect(keys.status).toBe(200);
      expect(keys.json.sealingKeyVersion).toBe(2);
      expect(keys.json.versions).toEqual([{ version: 2, createdAt: expect.any(String), state: 'sealing' }]);
      expect(keys.json.rotation).toMatchObject({ keyVersion: 2, status: 'complete', resealed: 80, completedAt: expect.any(String) });
      expect(JSON.stringify(keys.json)).not.toMatch(/wrapped|envPublicKey/);

      const after = await storedVars(api, w.orgId);
      expect(after).toHaveLength(81);
      expect(new Set(after.map((v) => v.keyVersion))).toEqual(new Set([2]));
      // Versions, and so what the API lists, are unchanged by a re-seal.
      for (const v of before) expect(after.find((a) => a.name === v.name && a.serviceId === v.serviceId)?.version).toBe(v.version);
      expect(asMap(await openEnvironment(deps, w.scope, owner))).toEqual(new Map([...w.expected, ['LATE', late]]));

      // Version 1 is gone from the organization: a copy of a value sealed under it (a backup, say),
      // put back in place, opens no more.
      const org = await getOrg(api.platform.table, w.scope);
      expect(org!.orgKeys!.map((k) => k.version)).toEqual([2]);
      const copy = beforeRaw.find((i) => i.name === 'SHARED_0')!;
      await api.platform.table.doc.send(new PutCommand({ TableName: api.platform.table.name, Item: copy }));
      await expect(openEnvironment(deps, w.scope, owner)).rejects.toThrow(SealedValueError);

      const audit = await w.me.get(`/v1/orgs/${w.orgId}/audit?limit=100`);
      const actions = audit.json.records.map((r: { action: string }) => r.action);
      expect(actions).toEqual(expect.arrayContaining(['org.key_rotated', 'org.key_rotation_completed']));
      const completed = audit.json.records.find((r: { action: string }) => r.action === 'org.key_rotation_completed');
      expect(completed.metadata).toEqual({ keyVersion: 2, resealed: 80, retiredVersions: [1] });
      expect(completed.actor).toEqual({ type: 'system', id: 'deploy/reseal' });
      expect((await w.me.get(`/v1/orgs/${w.orgId}/audit/verify`)).json).toMatchObject({ ok: true });
    });

    it('rotates again after a rotation completed, and only admins and owners may', async () => {
      const w = await world(api, 3);
      const developer = actingAs(api, await addMember(api, w.orgId, 'developer'));
      const viewer = actingAs(api, await addMember(api, w.orgId, 'viewer'));
      const admin = actingAs(api, await addMember(api, w.orgId, 'admin'));
      expect((await viewer.get(w.keysPath)).status).toBe(403);
      expect((await developer.post(`${w.keysPath}/rotate`)).status).toBe(403);
      expect((await admin.post(`${w.keysPath}/rotate`)).status).toBe(202);
      await api.platform.events.drain();
      const second = await w.me.post(`${w.keysPath}/rotate`);
      expect(second.status, second.text).toBe(202);
      expect(second.json).toMatchObject({ keyVersion: 3, previousVersion: 2 });
      await api.platform.events.drain();
      const keys = await w.me.get(w.keysPath);
      expect(keys.json.rotation).toMatchObject({ keyVersion: 3, status: 'complete', resealed: 6 });
      expect(new Set((await storedVars(api, w.orgId)).map((v) => v.keyVersion))).toEqual(new Set([3]));
    });

    it('lets the deploy path resolve a service’s environment: its own value wins over its project’s', async () => {
      const w = await world(api, 1);
      const deps = { table: api.platform.table, ring: new OrgKeyRing(api.platform.keys) };
      expect((await w.me.put(`${w.projectEnv}/MODE`, { value: 'project' })).status).toBe(200);
      expect((await w.me.put(`${w.serviceEnv}/MODE`, { value: 'service' })).status).toBe(200);
      const env = asMap(await openEnvironment(deps, w.scope, { projectId: w.projectId, serviceId: w.serviceId }));
      expect(env.get('MODE')).toBe('service');
      expect(asMap(await openEnvironment(deps, w.scope, { projectId: w.projectId })).get('MODE')).toBe('project');
      expect([...env.keys()]).toEqual([...env.keys()].sort());
    });
  });

  describe('before the re-seal runs', () => {
    // Nothing delivers re-seal requests here; the rest of the platform (signup mail) works as usual.
    const { api: quiet } = useTestApi({ platform: () => testPlatform({ events: new LocalEventBus({ rules: EventRules.filter((rule) => rule.consumer.domain !== 'deploy') }) }) });

    it('refuses a second rotation while one re-seals, resumes a stalled one, and records progress page by page', async () => {
      const w = await world(quiet, 15);
      const started = await w.me.post(`${w.keysPath}/rotate`);
      expect(started.status).toBe(202);
      // Nothing delivered the request: version 1 still opens everything, version 2 seals new values.
      const keys = await w.me.get(w.keysPath);
      expect(keys.json.versions.map((v: { version: number; state: string }) => [v.version, v.state])).toEqual([
        [1, 'retiring'],
        [2, 'sealing'],
      ]);
      const again = await w.me.post(`${w.keysPath}/rotate`);
      expect(again.status).toBe(409);
      expect(again.json.error.code).toBe('conflict');

      // One bounded run: exactly one page re-sealed, its progress recorded with it.
      const deps = { table: quiet.platform.table, ring: new OrgKeyRing(quiet.platform.keys), audit: quiet.platform.audit, logger };
      expect(await resealOrgValues(deps, w.scope, 2, { pageSize: 10, maxPages: 1 })).toBe('paused');
      const midway = await storedVars(quiet, w.orgId);
      expect(midway.filter((v) => v.keyVersion === 2)).toHaveLength(10);
      expect((await w.me.get(w.keysPath)).json.rotation).toMatchObject({ status: 'resealing', resealed: 10, pass: 1 });
      const env = asMap(await openEnvironment(deps, w.scope, { projectId: w.projectId, serviceId: w.serviceId }));
      expect(env).toEqual(w.expected);

      // Stalled: no progress for 20 minutes. Starting a rotation again resumes it (same version).
      await quiet.platform.table.doc.send(
        new UpdateCommand({ TableName: quiet.platform.table.name, Key: TenantKeys.keyRotation(w.scope), UpdateExpression: 'SET updatedAt = :t', ExpressionAttributeValues: { ':t': new Date(Date.now() - 20 * 60_000).toISOString() } }),
      );
      const published = quiet.platform.events.published.length;
      const resumed = await w.me.post(`${w.keysPath}/rotate`);
      expect(resumed.status, resumed.text).toBe(202);
      expect(resumed.json).toMatchObject({ keyVersion: 2, resealed: 10, resumed: true });
      expect(quiet.platform.events.published.slice(published).map((e) => [e['detail-type'], e.detail])).toEqual([
        ['audit.recorded', expect.anything()],
        ['org.key.reseal_requested', { orgId: w.orgId, keyVersion: 2 }],
      ]);

      // Two workers at once (a duplicate delivery): the work is done once, and counted once.
      const outcomes = await Promise.all([resealOrgValues(deps, w.scope, 2, { pageSize: 4 }), resealOrgValues(deps, w.scope, 2, { pageSize: 4 })]);
      expect(outcomes).toContain('complete');
      expect((await w.me.get(w.keysPath)).json.rotation).toMatchObject({ status: 'complete', resealed: 30 });
      expect(new Set((await storedVars(quiet, w.orgId)).map((v) => v.keyVersion))).toEqual(new Set([2]));
      expect(asMap(await openEnvironment(deps, w.scope, { projectId: w.projectId, serviceId: w.serviceId }))).toEqual(w.expected);
    });

    it('has the deploy consumer ask for its own continuation when its invocation runs out of time, and finish when it has time', async () => {
      const w = await world(quiet, 2);
      expect((await w.me.post(`${w.keysPath}/rotate`)).status).toBe(202);
      const [request] = quiet.platform.events.published.filter((e) => e['detail-type'] === 'org.key.reseal_requested' && (e.detail as { orgId: string }).orgId === w.orgId);
      const published = quiet.platform.events.published.length;
      const lambdaContext = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;
      // 30 s left is inside the one-minute margin: no page is started, and the work is handed on.
      await deployConsumer(request!, lambdaContext(30_000));
      expect(quiet.platform.events.published.slice(published).map((e) => [e['detail-type'], e.detail])).toEqual([['org.key.reseal_requested', { orgId: w.orgId, keyVersion: 2 }]]);
      expect((await w.me.get(w.keysPath)).json.rotation).toMatchObject({ status: 'resealing', resealed: 0 });
      await deployConsumer(request!, lambdaContext(300_000));
      expect((await w.me.get(w.keysPath)).json.rotation).toMatchObject({ status: 'complete', resealed: 4 });
      // A late duplicate of the request finds nothing to do.
      await deployConsumer(request!, lambdaContext(300_000));
      expect((await w.me.get(w.keysPath)).json.rotation).toMatchObject({ status: 'complete', resealed: 4 });
    });

    it('refuses a value sealed under a version a rotation replaced, so none lands behind the re-seal', async () => {
      const w = await world(quiet, 1);
      const v1 = await orgKeyOf(quiet, w.orgId);
      expect((await w.me.post(`${w.keysPath}/rotate`)).status).toBe(202);
      const stale = envVarRecord(w.scope, { projectId: w.projectId }, v1, { name: 'STALE', value: 'x', version: 1, updatedBy: w.owner.userId, now: new Date() });
      await expect(quiet.platform.table.transact([putEnvVarWrite(w.scope, stale), sealingKeyCheck(w.scope, 1)])).rejects.toThrow(OrgKeyRotatedError);
      // Through the API, the same write seals under version 2.
      expect((await w.me.put(`${w.projectEnv}/FRESH`, { value: 'y' })).status).toBe(200);
      const fresh = (await storedVars(quiet, w.orgId)).find((v) => v.name === 'FRESH');
      expect(fresh?.keyVersion).toBe(2);
    });
  });
});
