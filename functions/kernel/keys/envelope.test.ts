import { describe, expect, it } from 'vitest';
import { LocalKeyProvider } from '../../../local/local-key-provider';
import { SealedValueError } from './aead';
import { openEnvelope, sealEnvelope } from './envelope';
import { KeyUnwrapError } from './key-provider';

const identity = { kind: 'jwt-signing-key', kid: 'k_1' };
const context = { purpose: 'jwt-signing-key', kid: 'k_1' };

describe('envelope', () => {
  it('seals with a fresh data key and opens with the same context and identity', async () => {
    const keys = LocalKeyProvider.ephemeral();
    const record = await sealEnvelope(keys, 'private key bytes', identity, context);
    expect(record.rootKeyId).toBe(keys.rootKeyId);
    expect(JSON.stringify(record)).not.toContain('private key bytes');
    expect((await openEnvelope(keys, record, identity, context)).toString()).toBe('private key bytes');
    const again = await sealEnvelope(keys, 'private key bytes', identity, context);
    expect(again.wrappedKey).not.toBe(record.wrappedKey);
  });

  it('fails to open with another encryption context, as KMS would', async () => {
    const keys = LocalKeyProvider.ephemeral();
    const record = await sealEnvelope(keys, 'x', identity, context);
    await expect(openEnvelope(keys, record, identity, { ...context, kid: 'k_2' })).rejects.toBeInstanceOf(KeyUnwrapError);
  });

  it('fails to open for another record identity', async () => {
    const keys = LocalKeyProvider.ephemeral();
    const record = await sealEnvelope(keys, 'x', identity, context);
    await expect(openEnvelope(keys, record, { ...identity, kid: 'k_2' }, context)).rejects.toBeInstanceOf(SealedValueError);
  });

  it('fails to open under another root key', async () => {
    const record = await sealEnvelope(LocalKeyProvider.ephemeral(), 'x', identity, context);
    await expect(openEnvelope(LocalKeyProvider.ephemeral(), record, identity, context)).rejects.toBeInstanceOf(SealedValueError);
    await expect(openEnvelope(LocalKeyProvider.ephemeral(), { ...record, rootKeyId: 'forged' }, identity, context)).rejects.toBeInstanceOf(SealedValueError);
  });
});
