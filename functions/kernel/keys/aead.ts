import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalJson } from '../canonical-json';

/**
 * The sealed-value format: AES-256-GCM with a random 96-bit nonce, the record's identity as AAD,
 * and a header that names the format version and the key the value was sealed under.
 *
 *   rmp1.<keyRef, base64url>.<nonce, base64url>.<ciphertext||tag, base64url>
 *
 * The header is part of the AAD, so swapping the key reference or moving a value to another
 * record makes `openSealed` fail instead of returning someone else's plaintext.
 */

export const SEALED_FORMAT = 'rmp1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** What a sealed value belongs to, e.g. `{ kind: 'env', org, project, name, version }`. */
export type RecordIdentity = Readonly<Record<string, string | number>>;

export interface SealingKey {
  /** Stable reference the opener resolves back to this key, e.g. `org:o_1:v3:env`. */
  readonly ref: string;
  readonly material: Uint8Array;
}

/** A sealed value could not be opened: wrong key, wrong record identity, or tampered bytes. */
export class SealedValueError extends Error {
  constructor(message = 'The sealed value could not be opened.') {
    super(message);
    this.name = 'SealedValueError';
  }
}

const aadFor = (keyRef: string, identity: RecordIdentity) =>
  Buffer.from(canonicalJson({ format: SEALED_FORMAT, key: keyRef, record: identity }), 'utf8');

function assertKey(key: SealingKey): void {
  if (key.material.byteLength !== KEY_BYTES) throw new TypeError('sealing keys are 256-bit');
  if (!/^[A-Za-z0-9:_.-]{1,200}$/.test(key.ref)) throw new TypeError('invalid key reference');
}

/** Seals `plaintext` for the record `identity` under `key`. */
export function seal(plaintext: Uint8Array | string, identity: RecordIdentity, key: SealingKey): string {
  assertKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.material, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadFor(key.ref, identity));
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  return [SEALED_FORMAT, Buffer.from(key.ref, 'utf8').toString('base64url'), nonce.toString('base64url'), body.toString('base64url')].join('.');
}

/** Reads the key reference of a sealed value, so the caller can resolve the key to open it with. */
export function sealedKeyRef(sealed: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== SEALED_FORMAT) throw new SealedValueError('Unknown sealed-value format.');
  return Buffer.from(parts[1]!, 'base64url').toString('utf8');
}

/** Opens a value sealed by `seal` for the same record identity. @throws SealedValueError */
export function openSealed(sealed: string, identity: RecordIdentity, key: SealingKey): Buffer {
  assertKey(key);
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== SEALED_FORMAT) throw new SealedValueError('Unknown sealed-value format.');
  const [, refPart, noncePart, bodyPart] = parts as [string, string, string, string];
  if (Buffer.from(refPart, 'base64url').toString('utf8') !== key.ref) throw new SealedValueError('Sealed under another key.');
  const nonce = Buffer.from(noncePart, 'base64url');
  const body = Buffer.from(bodyPart, 'base64url');
  if (nonce.byteLength !== NONCE_BYTES || body.byteLength < TAG_BYTES) throw new SealedValueError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadFor(key.ref, identity));
    decipher.setAuthTag(body.subarray(body.byteLength - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.byteLength - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealedValueError();
  }
}
