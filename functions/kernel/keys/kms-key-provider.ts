import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, KMSClient, IncorrectKeyException } from '@aws-sdk/client-kms';
import { assertEncryptionContext, KeyUnwrapError, type DataKey, type EncryptionContext, type KeyProvider } from './key-provider';

export interface KmsKeyProviderOptions {
  /** ARN of the customer-managed root key. */
  readonly keyArn: string;
  /** Injectable for tests; defaults to a client for the function's region. */
  readonly client?: KMSClient;
}

/** The keys port on AWS KMS: the root key never leaves KMS; the encryption context is enforced by KMS. */
export class KmsKeyProvider implements KeyProvider {
  readonly rootKeyId: string;
  readonly #client: KMSClient;

  constructor(options: KmsKeyProviderOptions) {
    this.rootKeyId = options.keyArn;
    this.#client = options.client ?? new KMSClient({});
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    assertEncryptionContext(context);
    const out = await this.#client.send(
      new GenerateDataKeyCommand({ KeyId: this.rootKeyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob, rootKeyId: this.rootKeyId };
  }

  async decryptDataKey(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    assertEncryptionContext(context);
    try {
      // KeyId pins the root key: a blob wrapped under another key is refused, not silently used.
      const out = await this.#client.send(
        new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: { ...context }, KeyId: this.rootKeyId }),
      );
      if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
      return out.Plaintext;
    } catch (error) {
      if (error instanceof InvalidCiphertextException || error instanceof IncorrectKeyException) {
        throw new KeyUnwrapError({ cause: error });
      }
      throw error;
    }
  }
}
