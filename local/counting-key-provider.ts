import type { DataKey, EncryptionContext, KeyProvider } from '../functions/kernel/keys/key-provider';

/** A key provider that counts the calls it passes on: how benchmarks and tests count KMS calls. */
export class CountingKeyProvider implements KeyProvider {
  generateDataKeyCalls = 0;
  decryptDataKeyCalls = 0;

  constructor(private readonly inner: KeyProvider) {}

  get rootKeyId(): string {
    return this.inner.rootKeyId;
  }

  generateDataKey(context: EncryptionContext): Promise<DataKey> {
    this.generateDataKeyCalls++;
    return this.inner.generateDataKey(context);
  }

  decryptDataKey(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    this.decryptDataKeyCalls++;
    return this.inner.decryptDataKey(wrapped, context);
  }
}
