import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { z } from 'zod';
import type { AuditTrail } from '../audit/audit-trail';
import type { AuditActor } from '../audit/record';
import { openEnvelope, sealEnvelope, type EnvelopeRecord } from '../keys/envelope';
import type { KeyProvider } from '../keys/key-provider';
import { KeyPurposes } from '../keys/purposes';
import { AuditScopes } from '../audit/scopes';
import { Ids } from '../ids';
import { defineEntity } from '../storage/entity';
import { Keys, Listings } from '../storage/keys';
import { TransactionConflictError, type Table, type TransactWrite } from '../storage/table';

/**
 * The Ed25519 keys that sign access tokens. A private key exists in plaintext only in memory: at
 * rest it is sealed by the keys port (KMS), bound to its kid. Rotation adds a key and moves the
 * ACTIVE pointer; the previous key stays published in the JWKS until every token it signed has
 * expired, then DynamoDB's TTL removes it.
 */

export const SIGNING_ALGORITHM = 'EdDSA' as const;
/**
 * How long a retired key stays published: the access-token lifetime, plus the 5 minutes an instance
 * keeps signing with the key it opened before the rotation, plus clock skew.
 */
export const RETIRED_KEY_GRACE_SECONDS = 15 * 60 + 5 * 60 + 5 * 60;

const StoredKey = z.object({
  kid: z.string(),
  publicJwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() }),
  sealedPrivateKey: z.object({ sealed: z.string(), wrappedKey: z.string(), rootKeyId: z.string() }),
  createdAt: z.string(),
  retiredAt: z.string().optional(),
  expiresAt: z.number().optional(),
});
type StoredKey = z.output<typeof StoredKey>;

const ActivePointer = z.object({ kid: z.string(), version: z.number() });

const SigningKeys = defineEntity({ name: 'signing key', schema: StoredKey, key: Keys.signingKey, queries: { all: Listings.signingKeys } });
const ActiveSigningKey = defineEntity({ name: 'active signing key', schema: ActivePointer, key: Keys.activeSigningKey });

/** Another instance moved ACTIVE first. */
class PointerMoved extends Error {}

const envelopeBinding = (kid: string) => ({
  identity: { kind: 'access-token-signing-key', kid },
  context: { purpose: KeyPurposes.accessTokenSigningKey, kid },
});

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

/** A public key as published in the JWKS. */
export interface PublishedJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly alg: typeof SIGNING_ALGORITHM;
  readonly use: 'sig';
  readonly kid: string;
}

export interface PublicKey {
  readonly kid: string;
  readonly jwk: PublishedJwk;
  readonly key: CryptoKey;
}

/** Who rotates, and the trail that records it (`platform.signing_key_rotated`, platform scope). */
export interface RotationAudit {
  readonly trail: AuditTrail;
  readonly actor: AuditActor;
}

/** Commits the writes that install a key; `kid` names the new key. */
type CommitInstall = (writes: readonly TransactWrite[], kid: string) => Promise<unknown>;


async function generateStoredKey(keys: KeyProvider, now: Date): Promise<StoredKey> {
  const kid = Ids.signingKey.generate();
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const { kty, crv, x } = (await exportJWK(publicKey)) as { kty: 'OKP'; crv: 'Ed25519'; x: string };
  const { identity, context } = envelopeBinding(kid);
  const sealedPrivateKey: EnvelopeRecord = await sealEnvelope(keys, JSON.stringify(privateJwk), identity, context);
  return { kid, publicJwk: { kty, crv, x }, sealedPrivateKey, createdAt: now.toISOString() };
}

/** Who made the very first signing key (on first use, not on a schedule). */
export const BOOTSTRAP_ACTOR: AuditActor = { type: 'system', id: 'signing-key-bootstrap' };

export class SigningKeyStore {
  /**
   * @param options.audit records the creation of the very first key (`platform.signing_key_created`)
   *   in the platform chain, in the transaction that installs it; rotations are recorded by `rotate`.
   */
  constructor(
    private readonly table: Table,
    private readonly keys: KeyProvider,
    private readonly now: () => Date = () => new Date(),
    private readonly options: { readonly audit?: AuditTrail } = {},
  ) {}

  /** Installs the first key, audited when the store was given a trail. */
  async #installFirst(): Promise<void> {
    const trail = this.options.audit;
    await this.#install(
      0,
      [],
      trail &&
        ((writes, kid) =>
          trail.commit({ scope: AuditScopes.platform, actor: BOOTSTRAP_ACTOR, action: 'platform.signing_key_created', target: { type: 'signing_key', id: kid }, metadata: { kid } }, writes)),
    );
  }

  /** Every key whose tokens may still be valid: the active one and retired ones within their grace. */
  async publicKeys(): Promise<PublicKey[]> {
    const page = await this.table.queryPage(SigningKeys.query.all(), { limit: 50, consistent: true });
    return Promise.all(
      page.items.map(async (item) => {
        const jwk: PublishedJwk = { ...item.publicJwk, alg: SIGNING_ALGORITHM, use: 'sig', kid: item.kid };
        return { kid: item.kid, jwk, key: (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey };
      }),
    );
  }

  /** Makes sure a signing key exists (without opening it). */
  async ensureKey(): Promise<void> {
    if (!(await this.table.read(ActiveSigningKey.at()))) await this.#installFirst();
  }

  /** The key that signs now; created on first use (the first writer wins a race). */
  async activeKey(): Promise<SigningKey> {
    let pointer = await this.table.read(ActiveSigningKey.at());
    if (!pointer) {
      await this.#installFirst();
      pointer = await this.table.read(ActiveSigningKey.at());
      if (!pointer) throw new Error('signing key pointer missing after creation');
    }
    return this.#open(pointer.kid);
  }

  /**
   * Makes a new key active; the previous one keeps verifying for its grace period. Returns the new
   * kid (another rotator's, when it moved ACTIVE first). With `audit`, the rotation is recorded in
   * the platform chain in its own transaction: a key is never installed without its record.
   * @example await store.rotate({ audit: { trail: platform.audit, actor: { type: 'system', id: 'signing-key-rotation' } } })
   */
  async rotate(options: { readonly audit?: RotationAudit } = {}): Promise<string> {
    const pointer = await this.table.read(ActiveSigningKey.at());
    const previous = pointer && (await this.table.read(SigningKeys.at(pointer.kid)));
    const now = this.now();
    // Retired in the same transaction that moves ACTIVE: a rotation cut short after the move would
    // otherwise leave the replaced key published (and trusted) forever, and a retry cannot see it.
    const retirement: TransactWrite[] = previous
      ? [
          SigningKeys.at(previous.kid).put({
            ...previous,
            retiredAt: now.toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + RETIRED_KEY_GRACE_SECONDS,
          }),
        ]
      : [];
    const { audit } = options;
    const commit: CommitInstall | undefined =
      audit &&
      ((writes, kid) =>
        audit.trail.commit(
          {
            scope: AuditScopes.platform,
            actor: audit.actor,
            action: 'platform.signing_key_rotated',
            target: { type: 'signing_key', id: kid },
            metadata: pointer ? { kid, previousKid: pointer.kid } : { kid },
          },
          writes,
        ));
    const kid = await this.#install(pointer?.version ?? 0, retirement, commit);
    return kid ?? (await this.table.read(ActiveSigningKey.at()))!.kid;
  }

  /**
   * Writes a fresh key and points ACTIVE at it, if ACTIVE is still at `expectedVersion`, together
   * with `alongside`, through `commit` (a plain transaction unless given). Returns undefined when
   * another instance moved ACTIVE first (its key is as good as ours).
   */
  async #install(
    expectedVersion: number,
    alongside: readonly TransactWrite[] = [],
    commit: CommitInstall = (writes) => this.table.transact(writes),
  ): Promise<string | undefined> {
    const stored = await generateStoredKey(this.keys, this.now());
    const pointerWrite = ActiveSigningKey.at().putVersioned({ kid: stored.kid }, expectedVersion, () => new PointerMoved());
    try {
      await commit([SigningKeys.at(stored.kid).put(stored), pointerWrite, ...alongside], stored.kid);
    } catch (error) {
      // Lost to another instance: a failed condition, or (on DynamoDB) a conflicting transaction.
      // (An audited commit retries conflicts itself, then reports the moved pointer as a failed
      // condition; the winner's own record names its key.)
      if (error instanceof PointerMoved || error instanceof TransactionConflictError) return undefined;
      throw error;
    }
    return stored.kid;
  }

  async #open(kid: string): Promise<SigningKey> {
    const stored = await this.table.read(SigningKeys.at(kid));
    if (!stored) throw new Error(`signing key ${kid} not found`);
    const { identity, context } = envelopeBinding(kid);
    const plaintext = await openEnvelope(this.keys, stored.sealedPrivateKey, identity, context);
    try {
      const privateKey = (await importJWK(JSON.parse(plaintext.toString('utf8')) as JWK, SIGNING_ALGORITHM)) as CryptoKey;
      return { kid, privateKey };
    } finally {
      plaintext.fill(0);
    }
  }
}
