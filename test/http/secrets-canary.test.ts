import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { pathParameterNames } from '../../functions/kernel/http/route';
import { routeTable } from '../../functions/routes';
import { actingAs } from '../support/identity';
import { uniqueId, useTestApi } from '../support/platform';
import { createProject, createService, ownerWithOrg } from '../support/tenancy';

/**
 * The canary: environment variables whose values are unique random strings are set through the
 * API, then every route of the table is exercised. No response body or header, no log line, no
 * event and no item anywhere in the table may hold a canary in plaintext.
 */
describe('secrets canary', () => {
  const { api, logLines } = useTestApi({ captureLogs: true });
  const canaries = Array.from({ length: 4 }, () => `canary-${randomBytes(24).toString('hex')}`);
  const seen: string[] = [];

  /** Every item of the whole table, raw. */
  async function scanTable(): Promise<unknown[]> {
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await api.platform.table.doc.send(new ScanCommand({ TableName: api.platform.table.name, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  it('never lets a canary out through any route, log, event or stored item', { timeout: 120_000 }, async () => {
    const { owner, orgId } = await ownerWithOrg(api, `Canary ${uniqueId()}`);
    const me = actingAs(api, owner);
    const projectId = await createProject(me, orgId);
    const serviceId = await createService(me, orgId, projectId);
    const projectEnv = `/v1/orgs/${orgId}/projects/${projectId}/env`;
    const serviceEnv = `/v1/orgs/${orgId}/projects/${projectId}/services/${serviceId}/env`;

    // Canaries go in by every way a value can: set at each level, and imported.
    const record = (res: { text: string; headers: Headers }) => seen.push(res.text, JSON.stringify([...res.headers]));
    for (const [i, base] of [projectEnv, serviceEnv].entries()) {
      const set = await me.put(`${base}/CANARY_${i}`, { value: canaries[i] });
      expect(set.status, set.text).toBe(200);
      record(set);
    }
    const imported = await me.post(`${serviceEnv}/import`, { dotenv: `IMPORTED_A="${canaries[2]}"\nexport IMPORTED_B=${canaries[3]}\n` });
    expect(imported.status, imported.text).toBe(200);
    record(imported);

    // Then every route of the table, with the owner's credentials and this world's ids.
    const ids: Record<string, string> = { orgId, projectId, serviceId, userId: owner.userId, name: 'CANARY_0' };
    const sessions = await me.get('/v1/auth/sessions');
    ids.sessionId = sessions.json.sessions[0].sessionId;
    const invitation = await me.post(`/v1/orgs/${orgId}/invitations`, { email: `${uniqueId('c')}@example.com`, role: 'viewer' });
    ids.invitationId = invitation.json.invitationId;
    const key = await me.post(`/v1/orgs/${orgId}/api-keys`, { name: 'canary', role: 'viewer' });
    ids.keyId = key.json.keyId;
    // Reads first, then writes (which may end the session or delete things), each route once.
    const ordered = [...routeTable].sort((a, b) => Number(a.method !== 'GET') - Number(b.method !== 'GET') || Number(a.path.includes('logout')) - Number(b.path.includes('logout')));
    const scans: unknown[][] = [];
    let exercised = 0;
    let scannedBeforeWrites = false;
    for (const route of ordered) {
      // The table is read while the variables exist (before any write route can delete them) and at the end.
      if (route.method !== 'GET' && !scannedBeforeWrites) {
        scans.push(await scanTable());
        scannedBeforeWrites = true;
      }
      let path = route.path as string;
      for (const name of pathParameterNames(route.path)) {
        const value = ids[name];
        if (value === undefined) throw new Error(`the canary has no value for path parameter {${name}}: add one`);
        path = path.replace(`{${name}}`, value);
      }
      const res = await api.request(route.method, path, { headers: me.headers, ...(route.request?.body ? { body: {} } : {}) });
      record(res);
      exercised++;
    }
    expect(exercised).toBe(routeTable.length);
    await api.platform.events.drain();

    scans.push(await scanTable());
    const [beforeWrites] = scans;
    // The check below can only fail if the sealed variables were there to be read.
    const ours = (beforeWrites as { pk?: string; sk?: string }[]).filter((i) => i.pk === `ORG#${orgId}` && i.sk?.startsWith('ENV#'));
    expect(ours).toHaveLength(canaries.length);

    const places = {
      responses: seen.join('\n'),
      logs: logLines().join(''),
      events: JSON.stringify(api.platform.events.published),
      table: JSON.stringify(scans),
    };
    expect(places.logs).toContain('"message":"Request received"');
    for (const canary of canaries) {
      for (const [place, text] of Object.entries(places)) expect(text.includes(canary), `${place} holds a canary`).toBe(false);
    }
  });
});
