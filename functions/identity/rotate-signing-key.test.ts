import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { isolatedSigningKeys, rawPlatformAuditRecords, rawSigningKeyItems, type IsolatedSigningKeys } from '../../test/support/signing-keys';
import { LocalEventBus } from '../../local/local-event-bus';
import { LocalKeyProvider } from '../../local/local-key-provider';
import { localPlatform } from '../../local/platform';
import { verifyAuditChain } from '../kernel/audit/verifier';
import { installPlatform } from '../kernel/platform/platform';
import { handler, ROTATION_ACTOR } from './rotate-signing-key';

/** What EventBridge delivers for a scheduled rule: nothing in it is used. */
const scheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-01T00:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/rotate'],
  detail: {},
};

describe('rotate-signing-key handler', () => {
  let isolated: IsolatedSigningKeys;
  const events = new LocalEventBus();

  beforeAll(async () => {
    // Signing keys live in one global partition: the handler works on a table of its own.
    isolated = await isolatedSigningKeys();
    installPlatform(
      localPlatform({
        endpoint: inject('dynamoEndpoint'),
        tableName: isolated.table.name,
        keys: isolated.keys,
        piiKeys: LocalKeyProvider.ephemeral(),
        events,
        version: '0.0.0-test',
        outboxDirectory: mkdtempSync(join(tmpdir(), 'rampart-outbox-')),
        announce: () => undefined,
        appUrl: 'http://rampart.test',
      }),
    );
  });

  it('makes a new key active, keeps the old one published for its grace period and audits both kids', async () => {
    const oldKid = (await isolated.store.activeKey()).kid;

    const { kid } = await handler(scheduledEvent);

    expect(kid).not.toBe(oldKid);
    expect((await isolated.store.activeKey()).kid).toBe(kid);
    expect((await isolated.store.publicKeys()).map((k) => k.kid).sort()).toEqual([oldKid, kid].sort());
    const records = await rawPlatformAuditRecords(isolated.table);
    expect(records.at(-1)).toMatchObject({
      scope: 'platform',
      actor: ROTATION_ACTOR,
      action: 'platform.signing_key_rotated',
      target: { type: 'signing_key', id: kid },
      metadata: { kid, previousKid: oldKid },
    });
    expect(events.published.filter((e) => e['detail-type'] === 'audit.recorded').at(-1)!.detail).toMatchObject({
      scope: 'platform',
      action: 'platform.signing_key_rotated',
      targetId: kid,
    });
  });

  it('rotates again on the next invocation (by hand, without an event), chaining its record to the last', async () => {
    const before = (await isolated.store.activeKey()).kid;

    const { kid } = await handler({});

    const records = await rawPlatformAuditRecords(isolated.table);
    expect(records.at(-1)!.metadata).toEqual({ kid, previousKid: before });
    expect(await verifyAuditChain(isolated.table, 'platform')).toMatchObject({ ok: true, checked: records.length });
    const unretired = (await rawSigningKeyItems(isolated.table)).filter((i) => String(i.sk).startsWith('KEY#') && i.expiresAt === undefined);
    expect(unretired.map((i) => i.kid)).toEqual([kid]);
  });
});
