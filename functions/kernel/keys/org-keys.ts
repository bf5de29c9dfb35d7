import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { openSealed, seal, sealedKeyRef, SealedValueError, type RecordIdentity } from './aead';
import { cacheKeyOf, DataKeyCache, type DataKeyCacheOptions } from './data-key-cache';
import type { EncryptionContext, KeyProvider } from './key-provider';
import { KeyPurposes } from './purposes';

/**
 * The per-organization key hierarchy (docs/crypto.md):
 *
 *   root key (KMS) → organization key K_org, version n (GenerateDataKey, context {purpose: org-key, org, version})
 *                      ├─ env: an X25519 key pair derived with HKDF; the public key is stored in plaintext
 *                      └─ integration, token: AES-256 keys derived with HKDF
 *
 * Environment values are sealed to the public key (ephemeral X25519, HKDF, AES-256-GCM), so code that
 * can seal them (the API) cannot open them; only a holder of K_org (the deploy path) can.
 */

export const ORG_KEY_PURPOSE = KeyPurposes.orgKey;
export type SymmetricPurpose = 'integration' | 'token';

/** What is stored on the organization for each key version. Nothing in it is secret. */
export interface OrgKeyRecord {
  readonly version: number;
  /** K_org wrapped by the root key (base64). */
  readonly wrapped: string;
  readonly rootKeyId: string;
  /** The env purpose's X25519 public key (raw 32 bytes, base64url). */
  readonly envPublicKey: string;
}

export const orgKeyContext = (orgId: string, version: number): EncryptionContext => ({ purpose: ORG_KEY_PURPOSE, org: orgId, version: String(version) });

const KEY_BYTES = 32;
// PKCS#8 prefix of an X25519 private key (RFC 8410), followed by the 32-byte scalar.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

const hkdf = (ikm: Uint8Array, salt: string | Uint8Array, info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, KEY_BYTES));

function envPrivateKey(orgKey: Uint8Array, orgId: string, version: number): KeyObject {
  const scalar = hkdf(orgKey, orgId, `rampart/env/v${version}`);
  try {
    return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
  } finally {
    scalar.fill(0);
  }
}

const rawPublicKey = (key: KeyObject): string => (key.export({ format: 'jwk' }) as { x: string }).x;
const publicKeyFromRaw = (x: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });

/** A new organization key version: the record to store. The plaintext key never leaves this function. */
export async function createOrgKey(keys: KeyProvider, orgId: string, version: number): Promise<OrgKeyRecord> {
  const dataKey = await keys.generateDataKey(orgKeyContext(orgId, version));
  try {
    const publicKey = createPublicKey(envPrivateKey(dataKey.plaintext, orgId, version));
    return { version, wrapped: Buffer.from(dataKey.wrapped).toString('base64'), rootKeyId: dataKey.rootKeyId, envPublicKey: rawPublicKey(publicKey) };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/** The identity an environment value is sealed for: moving it to another record fails to open. */
export interface EnvValueIdentity extends RecordIdentity {
  readonly org: string;
  readonly project: string;
  /** Empty for project-level variables. */
  readonly service: string;
  readonly name: string;
  readonly version: number;
}

const envKeyRef = (orgId: string, keyVersion: number, ephemeralPublicKey: string) => `org:${orgId}:v${keyVersion}:env:${ephemeralPublicKey}`;
const ENV_KEY_REF = /^org:([A-Za-z0-9_-]+):v(\d+):env:([A-Za-z0-9_-]{43})$/;

function envValueKey(shared: Buffer, ephemeralPublicKey: string, envPublicKey: string): Buffer {
  try {
    return hkdf(shared, `${ephemeralPublicKey}.${envPublicKey}`, 'rampart/env-value/v1');
  } finally {
    shared.fill(0);
  }
}

/** Seals an environment value to the organization's env public key: no KMS call, and no way back. */
export function sealEnvValue(orgId: string, record: Pick<OrgKeyRecord, 'version' | 'envPublicKey'>, identity: EnvValueIdentity, value: string | Uint8Array): string {
  if (identity.org !== orgId) throw new TypeError('the identity names another organization');
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublicKey = rawPublicKey(ephemeral.publicKey);
  const material = envValueKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: publicKeyFromRaw(record.envPublicKey) }), ephemeralPublicKey, record.envPublicKey);
  try {
    return seal(value, identity, { ref: envKeyRef(orgId, record.version, ephemeralPublicKey), material });
  } finally {
    material.fill(0);
  }
}

/** The key version an env value was sealed under (to pick the organization key that opens it). */
export function envValueKeyVersion(sealed: string): number {
  const match = ENV_KEY_REF.exec(sealedKeyRef(sealed));
  if (!match) throw new SealedValueError('Not an environment value.');
  return Number(match[2]);
}

/** An unwrapped organization key version, held in memory by the deploy path only. */
export class OpenOrgKey {
  readonly #envPrivate: KeyObject;
  readonly #envPublic: string;
  readonly #symmetric: Map<SymmetricPurpose, Buffer>;

  constructor(
    readonly orgId: string,
    readonly version: number,
    orgKey: Uint8Array,
  ) {
    this.#envPrivate = envPrivateKey(orgKey, orgId, version);
    this.#envPublic = rawPublicKey(createPublicKey(this.#envPrivate));
    this.#symmetric = new Map((['integration', 'token'] as const).map((p) => [p, hkdf(orgKey, orgId, `rampart/${p}/v${version}`)]));
  }

  /** A symmetric purpose key (for `seal` / `openSealed` with ref `org:<id>:v<n>:<purpose>`). */
  purposeKey(purpose: SymmetricPurpose): { ref: string; material: Buffer } {
    return { ref: `org:${this.orgId}:v${this.version}:${purpose}`, material: this.#symmetric.get(purpose)! };
  }

  /** Opens an environment value sealed for `identity`. @throws SealedValueError */
  openEnvValue(identity: EnvValueIdentity, sealed: string): Buffer {
    const match = ENV_KEY_REF.exec(sealedKeyRef(sealed));
    if (!match || match[1] !== this.orgId || Number(match[2]) !== this.version) throw new SealedValueError('Sealed under another organization key.');
    const ephemeralPublicKey = match[3]!;
    const material = envValueKey(diffieHellman({ privateKey: this.#envPrivate, publicKey: publicKeyFromRaw(ephemeralPublicKey) }), ephemeralPublicKey, this.#envPublic);
    try {
      return openSealed(sealed, identity, { ref: envKeyRef(this.orgId, this.version, ephemeralPublicKey), material });
    } finally {
      material.fill(0);
    }
  }
}

/**
 * Unwraps organization keys for the deploy path, keeping them per instance (`DataKeyCache`: bounded
 * LRU with a TTL), so that steady-state opens cost no KMS call. Only a role allowed to
 * `kms:Decrypt` the `org-key` context can use it.
 */
export class OrgKeyRing {
  readonly #keys: KeyProvider;
  readonly #cache: DataKeyCache<OpenOrgKey>;

  constructor(keys: KeyProvider, options: DataKeyCacheOptions = {}) {
    this.#keys = keys;
    this.#cache = new DataKeyCache(options);
  }

  open(orgId: string, record: OrgKeyRecord): Promise<OpenOrgKey> {
    // Keyed by the wrapped blob too: a re-created key under the same version is a different key.
    return this.#cache.get(cacheKeyOf(`${orgId}/${record.version}`, record.wrapped), () => this.#unwrap(orgId, record));
  }

  get size(): number {
    return this.#cache.size;
  }

  async #unwrap(orgId: string, record: OrgKeyRecord): Promise<OpenOrgKey> {
    if (record.rootKeyId !== this.#keys.rootKeyId) throw new SealedValueError('Wrapped under another root key.');
    const plaintext = await this.#keys.decryptDataKey(Buffer.from(record.wrapped, 'base64'), orgKeyContext(orgId, record.version));
    try {
      return new OpenOrgKey(orgId, record.version, plaintext);
    } finally {
      plaintext.fill(0);
    }
  }
}
