import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { canonicalJson } from '../functions/kernel/canonical-json';
import {
  assertEncryptionContext,
  KeyUnwrapError,
  type DataKey,
  type EncryptionContext,
  type KeyProvider,
} from '../functions/kernel/keys/key-provider';

/**
 * The keys port for `npm start` and tests, standing in for KMS: a 256-bit root key in a file
 * (mode 0600, created on first start), data keys wrapped with AES-256-GCM and the encryption
 * context as AAD, so a wrong context fails exactly as KMS Decrypt does.
 *
 * Wrapped format: 'L1' | key fingerprint (8 bytes) | nonce (12) | ciphertext (32) | tag (16).
 */
const MAGIC = Buffer.from('L1');
const FINGERPRINT_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class LocalKeyProvider implements KeyProvider {
  readonly rootKeyId: string;
  readonly #rootKey: Buffer;
  readonly #fingerprint: Buffer;

  private constructor(rootKey: Buffer) {
    this.#rootKey = rootKey;
    this.#fingerprint = createHash('sha256').update('rampart-local-root-key').update(rootKey).digest().subarray(0, FINGERPRINT_BYTES);
    this.rootKeyId = `local:${this.#fingerprint.toString('hex')}`;
  }

  /** Loads the root key file, creating it (0600) on first use. Refuses a file others can read. */
  static async fromFile(path: string): Promise<LocalKeyProvider> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(randomBytes(KEY_BYTES));
      } finally {
        await handle.close();
      }
      await chmod(path, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) throw new Error(`${path} is readable by other users; run: chmod 600 ${path}`);
    const key = await readFile(path);
    if (key.byteLength !== KEY_BYTES) throw new Error(`${path} does not hold a 256-bit key`);
    return new LocalKeyProvider(key);
  }

  /** An in-memory root key, for tests. */
  static ephemeral(): LocalKeyProvider {
    return new LocalKeyProvider(randomBytes(KEY_BYTES));
  }

  /**
   * A root key held in memory, for test runs whose processes must share one root key (as every
   * function of a deployment shares one KMS key) without a file.
   */
  static fromKey(rootKey: Uint8Array): LocalKeyProvider {
    if (rootKey.byteLength !== KEY_BYTES) throw new TypeError('the root key is 256-bit');
    return new LocalKeyProvider(Buffer.from(rootKey));
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    assertEncryptionContext(context);
    const plaintext = randomBytes(KEY_BYTES);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#rootKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(contextAad(context));
    const wrapped = Buffer.concat([MAGIC, this.#fingerprint, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { plaintext, wrapped, rootKeyId: this.rootKeyId };
  }

  async decryptDataKey(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    assertEncryptionContext(context);
    const blob = Buffer.from(wrapped);
    const headerBytes = MAGIC.byteLength + FINGERPRINT_BYTES + NONCE_BYTES;
    if (blob.byteLength !== headerBytes + KEY_BYTES + TAG_BYTES || !blob.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
      throw new KeyUnwrapError();
    }
    if (!blob.subarray(MAGIC.byteLength, MAGIC.byteLength + FINGERPRINT_BYTES).equals(this.#fingerprint)) throw new KeyUnwrapError();
    const nonce = blob.subarray(MAGIC.byteLength + FINGERPRINT_BYTES, headerBytes);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#rootKey, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(contextAad(context));
      decipher.setAuthTag(blob.subarray(blob.byteLength - TAG_BYTES));
      return Buffer.concat([decipher.update(blob.subarray(headerBytes, blob.byteLength - TAG_BYTES)), decipher.final()]);
    } catch (error) {
      throw new KeyUnwrapError({ cause: error });
    }
  }
}

/** KMS treats the context as an unordered map: the canonical encoding makes order irrelevant here too. */
const contextAad = (context: EncryptionContext) => Buffer.from(canonicalJson(context), 'utf8');
