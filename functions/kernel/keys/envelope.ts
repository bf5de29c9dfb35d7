import { openSealed, seal, SealedValueError, type RecordIdentity } from './aead';
import type { EncryptionContext, KeyProvider } from './key-provider';

/**
 * Envelope encryption of one record: a fresh data key from the keys port seals the value, and the
 * wrapped data key travels with it. Opening needs the root key (KMS Decrypt) and the same
 * encryption context, and the value opens only for the record identity it was sealed for.
 *
 * The per-organization hierarchy builds on the same `seal`/`openSealed` format with keys derived
 * from an organization key instead of a data key per record.
 */
export interface EnvelopeRecord {
  /** `seal` output; names the wrapped key it was sealed under. */
  readonly sealed: string;
  /** The data key, wrapped by the root key with `context` (base64). */
  readonly wrappedKey: string;
  readonly rootKeyId: string;
}

const ENVELOPE_KEY_REF = 'envelope:dek';

export async function sealEnvelope(
  keys: KeyProvider,
  plaintext: Uint8Array | string,
  identity: RecordIdentity,
  context: EncryptionContext,
): Promise<EnvelopeRecord> {
  const dataKey = await keys.generateDataKey(context);
  try {
    const sealed = seal(plaintext, identity, { ref: ENVELOPE_KEY_REF, material: dataKey.plaintext });
    return { sealed, wrappedKey: Buffer.from(dataKey.wrapped).toString('base64'), rootKeyId: dataKey.rootKeyId };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/** @throws KeyUnwrapError (wrong context) or SealedValueError (wrong record, tampered). */
export async function openEnvelope(
  keys: KeyProvider,
  record: EnvelopeRecord,
  identity: RecordIdentity,
  context: EncryptionContext,
): Promise<Buffer> {
  if (record.rootKeyId !== keys.rootKeyId) throw new SealedValueError('Sealed under another root key.');
  const material = await keys.decryptDataKey(Buffer.from(record.wrappedKey, 'base64'), context);
  try {
    return openSealed(record.sealed, identity, { ref: ENVELOPE_KEY_REF, material });
  } finally {
    material.fill(0);
  }
}
