/**
 * The keys port: wraps and unwraps data keys under a root key, bound to an encryption context.
 * AWS: KMS GenerateDataKey/Decrypt. Local: a root key file and AES-256-GCM with the context as AAD.
 * Both fail the same way (`KeyUnwrapError`) when the context does not match.
 */

/** Non-secret facts that bind a wrapped key to what it protects (e.g. `{ org: 'o_123' }`). */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface DataKey {
  /** 32 bytes of key material; callers must not persist or log it. */
  readonly plaintext: Uint8Array;
  /** The key as stored: only the root key (with the same context) can unwrap it. */
  readonly wrapped: Uint8Array;
  /** Identifies the root key that wrapped it. */
  readonly rootKeyId: string;
}

export interface KeyProvider {
  /** The root key new data keys are wrapped under. */
  readonly rootKeyId: string;
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  /** @throws KeyUnwrapError when the wrapped key or its context was tampered with or differs. */
  decryptDataKey(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

/** A wrapped key could not be opened: wrong context, wrong root key, or tampered bytes. */
export class KeyUnwrapError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The data key could not be unwrapped with this encryption context.', options);
    this.name = 'KeyUnwrapError';
  }
}

const CONTEXT_KEY = /^[A-Za-z0-9:_.-]{1,64}$/;

/** Checks a context is well formed; both providers call it so they accept the same inputs. */
export function assertEncryptionContext(context: EncryptionContext): void {
  const entries = Object.entries(context);
  if (entries.length === 0) throw new TypeError('encryption context must not be empty');
  for (const [k, v] of entries) {
    if (!CONTEXT_KEY.test(k) || typeof v !== 'string' || v.length === 0 || v.length > 256) {
      throw new TypeError('encryption context entries must be short non-empty strings');
    }
  }
}
