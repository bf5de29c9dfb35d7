import { randomBytes } from 'node:crypto';
import { createOrgKey, OrgKeyRing, sealEnvValue, type EnvValueIdentity } from '../functions/kernel/keys/org-keys';
import { CountingKeyProvider } from '../local/counting-key-provider';
import { LocalKeyProvider } from '../local/local-key-provider';

export interface KmsCallCount {
  readonly opens: number;
  readonly kmsCalls: number;
  readonly elapsedMs: number;
}

/**
 * Counts KMS calls for `values × opensPerValue` env-value opens in one organization, each going
 * through `ring.open` then `openEnvValue` as a deploy does, on one instance with one key ring.
 */
export async function countKmsCalls(values = 100, opensPerValue = 100): Promise<KmsCallCount> {
  const orgId = 'o_kmscount';
  const keys = new CountingKeyProvider(LocalKeyProvider.ephemeral());
  const record = await createOrgKey(keys, orgId, 1);
  const sealedValues = Array.from({ length: values }, (_, i) => {
    const identity: EnvValueIdentity = { org: orgId, project: 'p_kmscount', service: '', name: `VAR_${i}`, version: 1 };
    const plaintext = randomBytes(48);
    return { identity, plaintext, sealed: sealEnvValue(orgId, record, identity, plaintext) };
  });
  const ring = new OrgKeyRing(keys);
  const before = keys.generateDataKeyCalls + keys.decryptDataKeyCalls;
  const start = process.hrtime.bigint();
  for (let round = 0; round < opensPerValue; round++) {
    for (const value of sealedValues) {
      const opened = (await ring.open(orgId, record)).openEnvValue(value.identity, value.sealed);
      if (!opened.equals(value.plaintext)) throw new Error(`${value.identity.name} did not round-trip`);
    }
  }
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { opens: values * opensPerValue, kmsCalls: keys.generateDataKeyCalls + keys.decryptDataKeyCalls - before, elapsedMs };
}
