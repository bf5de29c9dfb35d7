import { describe, expect, it } from 'vitest';
import { CountingKeyProvider } from '../../../local/counting-key-provider';
import { LocalKeyProvider } from '../../../local/local-key-provider';
import { openSealed, seal, SealedValueError } from './aead';
import { KeyUnwrapError } from './key-provider';
import { createOrgKey, envValueKeyVersion, OrgKeyRing, sealEnvValue, type EnvValueIdentity } from './org-keys';

const identity = (overrides: Partial<EnvValueIdentity> = {}): EnvValueIdentity => ({
  org: 'o_1',
  project: 'p_1',
  service: '',
  name: 'DATABASE_URL',
  version: 1,
  ...overrides,
});

describe('org-keys', () => {
  describe('sealEnvValue / OpenOrgKey.openEnvValue', () => {
    it('seals with the public record alone and opens only with the unwrapped organization key', async () => {
      const keys = LocalKeyProvider.ephemeral();
      const record = await createOrgKey(keys, 'o_1', 1);
      expect(JSON.stringify(record)).not.toMatch(/postgres/);
      const sealed = sealEnvValue('o_1', record, identity(), 'postgres://user:pw@db/app');
      expect(sealed).not.toContain('postgres');
      expect(envValueKeyVersion(sealed)).toBe(1);
      const open = await new OrgKeyRing(keys).open('o_1', record);
      expect(open.openEnvValue(identity(), sealed).toString()).toBe('postgres://user:pw@db/app');
    });

    it('gives every sealing its own ephemeral key, so equal values look unrelated', async () => {
      const record = await createOrgKey(LocalKeyProvider.ephemeral(), 'o_1', 1);
      const a = sealEnvValue('o_1', record, identity(), 'same');
      const b = sealEnvValue('o_1', record, identity(), 'same');
      expect(a).not.toBe(b);
    });

    it('refuses a value moved to another organization, project, service, name or version', async () => {
      const keys = LocalKeyProvider.ephemeral();
      const record = await createOrgKey(keys, 'o_1', 1);
      const sealed = sealEnvValue('o_1', record, identity(), 'secret');
      const open = await new OrgKeyRing(keys).open('o_1', record);
      for (const other of [identity({ project: 'p_2' }), identity({ service: 'svc_1' }), identity({ name: 'OTHER' }), identity({ version: 2 })]) {
        expect(() => open.openEnvValue(other, sealed)).toThrow(SealedValueError);
      }
      const otherOrgRecord = await createOrgKey(keys, 'o_2', 1);
      const otherOrg = await new OrgKeyRing(keys).open('o_2', otherOrgRecord);
      expect(() => otherOrg.openEnvValue(identity({ org: 'o_2' }), sealed)).toThrow(SealedValueError);
      expect(() => sealEnvValue('o_2', record, identity(), 'x')).toThrow(TypeError);
    });

    it('cannot be opened with a key derived for another version', async () => {
      const keys = LocalKeyProvider.ephemeral();
      const v1 = await createOrgKey(keys, 'o_1', 1);
      const v2 = await createOrgKey(keys, 'o_1', 2);
      const sealed = sealEnvValue('o_1', v1, identity(), 'secret');
      const ring = new OrgKeyRing(keys);
      const openV2 = await ring.open('o_1', v2);
      expect(() => openV2.openEnvValue(identity(), sealed)).toThrow(SealedValueError);
      expect((await ring.open('o_1', v1)).openEnvValue(identity(), sealed).toString()).toBe('secret');
    });
  });

  describe('OrgKeyRing', () => {
    it('unwraps an organization key once and then serves opens without KMS calls', async () => {
      const keys = new CountingKeyProvider(LocalKeyProvider.ephemeral());
      const record = await createOrgKey(keys, 'o_1', 1);
      const sealed = Array.from({ length: 50 }, (_, i) => sealEnvValue('o_1', record, identity({ name: `VAR_${i}` }), `value ${i}`));
      const ring = new OrgKeyRing(keys);
      for (let round = 0; round < 20; round++) {
        const open = await ring.open('o_1', record);
        sealed.forEach((s, i) => expect(open.openEnvValue(identity({ name: `VAR_${i}` }), s).toString()).toBe(`value ${i}`));
      }
      expect(keys.decryptDataKeyCalls).toBe(1);
    });

    it('is bounded in size and time', async () => {
      let now = 0;
      const keys = new CountingKeyProvider(LocalKeyProvider.ephemeral());
      const ring = new OrgKeyRing(keys, { maxEntries: 2, ttlMs: 1_000, now: () => now });
      const records = await Promise.all(['o_1', 'o_2', 'o_3'].map((org) => createOrgKey(keys, org, 1)));
      for (const [i, org] of ['o_1', 'o_2', 'o_3'].entries()) await ring.open(org, records[i]!);
      expect(ring.size).toBe(2);
      expect(keys.decryptDataKeyCalls).toBe(3);
      await ring.open('o_1', records[0]!); // evicted as least recently used
      expect(keys.decryptDataKeyCalls).toBe(4);
      now += 1_001;
      await ring.open('o_1', records[0]!); // expired
      expect(keys.decryptDataKeyCalls).toBe(5);
    });

    it('fails as KMS would when the organization in the context is not the one the key was made for', async () => {
      const keys = LocalKeyProvider.ephemeral();
      const record = await createOrgKey(keys, 'o_1', 1);
      await expect(new OrgKeyRing(keys).open('o_2', record)).rejects.toBeInstanceOf(KeyUnwrapError);
      await expect(new OrgKeyRing(keys).open('o_1', { ...record, version: 2 })).rejects.toBeInstanceOf(KeyUnwrapError);
    });
  });

  describe('OpenOrgKey.purposeKey', () => {
    it('derives distinct symmetric keys per purpose and version for the sealed-value format', async () => {
      const keys = LocalKeyProvider.ephemeral();
      const ring = new OrgKeyRing(keys);
      const v1 = await ring.open('o_1', await createOrgKey(keys, 'o_1', 1));
      const v2 = await ring.open('o_1', await createOrgKey(keys, 'o_1', 2));
      const sealed = seal('github token', { kind: 'integration', id: 'i_1' }, v1.purposeKey('integration'));
      expect(openSealed(sealed, { kind: 'integration', id: 'i_1' }, v1.purposeKey('integration')).toString()).toBe('github token');
      expect(() => openSealed(sealed, { kind: 'integration', id: 'i_1' }, { ...v1.purposeKey('token'), ref: v1.purposeKey('integration').ref })).toThrow(SealedValueError);
      expect(() => openSealed(sealed, { kind: 'integration', id: 'i_1' }, { ...v2.purposeKey('integration'), ref: v1.purposeKey('integration').ref })).toThrow(SealedValueError);
    });
  });
});
