import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyUnwrapError } from './key-provider';
import { KmsKeyProvider } from './kms-key-provider';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const kms = mockClient(KMSClient);

describe('KmsKeyProvider', () => {
  afterEach(() => kms.reset());

  it('asks KMS for an AES-256 data key under the root key with the encryption context', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: new Uint8Array(32).fill(7), CiphertextBlob: new Uint8Array([1, 2, 3]), KeyId: KEY_ARN });
    const provider = new KmsKeyProvider({ keyArn: KEY_ARN, client: new KMSClient({ region: 'eu-west-1' }) });
    const key = await provider.generateDataKey({ org: 'o_1' });
    expect(key.wrapped).toEqual(new Uint8Array([1, 2, 3]));
    expect(key.rootKeyId).toBe(KEY_ARN);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({ KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { org: 'o_1' } });
  });

  it('decrypts with the context and pins the root key id', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32).fill(9), KeyId: KEY_ARN });
    const provider = new KmsKeyProvider({ keyArn: KEY_ARN, client: new KMSClient({ region: 'eu-west-1' }) });
    await provider.decryptDataKey(new Uint8Array([1]), { org: 'o_1' });
    expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input).toEqual({ CiphertextBlob: new Uint8Array([1]), EncryptionContext: { org: 'o_1' }, KeyId: KEY_ARN });
  });

  it('turns a context mismatch (InvalidCiphertextException) into KeyUnwrapError', async () => {
    kms.on(DecryptCommand).rejects(new InvalidCiphertextException({ message: 'bad', $metadata: {} }));
    const provider = new KmsKeyProvider({ keyArn: KEY_ARN, client: new KMSClient({ region: 'eu-west-1' }) });
    await expect(provider.decryptDataKey(new Uint8Array([1]), { org: 'o_2' })).rejects.toBeInstanceOf(KeyUnwrapError);
  });

  it('lets other KMS failures through unchanged (throttling is not a wrong key)', async () => {
    kms.on(DecryptCommand).rejects(new Error('ThrottlingException'));
    const provider = new KmsKeyProvider({ keyArn: KEY_ARN, client: new KMSClient({ region: 'eu-west-1' }) });
    await expect(provider.decryptDataKey(new Uint8Array([1]), { org: 'o_1' })).rejects.not.toBeInstanceOf(KeyUnwrapError);
  });
});
