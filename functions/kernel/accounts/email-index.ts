import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { SealedValueError } from '../keys/aead';
import { DataKeyCache } from '../keys/data-key-cache';
import type { EncryptionContext, KeyProvider } from '../keys/key-provider';
import { KeyPurposes } from '../keys/purposes';
import type { AuditTrail } from '../audit/audit-trail';
import type { AuditActor } from '../audit/record';
import { AuditScopes } from '../audit/scopes';
import { defineEntity } from '../storage/entity';
import { Keys } from '../storage/keys';
import type { Table } from '../storage/table';

/**
 * The lookup hash of an email address (docs/crypto.md, "PII"): HMAC-SHA256 of the case-folded
 * address under the email index key, a 256-bit data key made once by the PII key (KMS) for
 * `{purpose: email-index}`. Only its wrapped form is stored (`PLATFORM#email-index` / `KEY`), so
 * a copy of the table cannot test a guessed address against the `EMAIL#` claims, the profiles'
 * `emailHash` or the invitations: that takes the key, which only KMS, for a role allowed this
 * purpose, unwraps.
 */

export const emailIndexContext: EncryptionContext = { purpose: KeyPurposes.emailIndex };

/** The wrapped email index key, at `PLATFORM#email-index` / `KEY`. Nothing in it is secret. */
export const EmailIndexKeyRecord = z.object({
  /** The key wrapped by the PII key with `emailIndexContext` (base64). */
  wrapped: z.string(),
  rootKeyId: z.string(),
  createdAt: z.string(),
});
export type EmailIndexKeyRecord = z.output<typeof EmailIndexKeyRecord>;

const EmailIndexKeys = defineEntity({ name: 'email index key', schema: EmailIndexKeyRecord, key: Keys.emailIndexKey });

export interface EmailIndexOptions {
  /** How long an instance keeps the unwrapped key before reading and unwrapping it again. @default 1 hour */
  readonly ttlMs?: number;
  /** Epoch milliseconds (the cache's clock and the key's `createdAt`). */
  readonly now?: () => number;
  /** Records the key's creation (`platform.email_index_key_created`) in the transaction that stores it. */
  readonly audit?: AuditTrail;
}

/** Who made the email index key (on first use). */
export const EMAIL_INDEX_BOOTSTRAP_ACTOR: AuditActor = { type: 'system', id: 'email-index-bootstrap' };

const CACHE_KEY = 'email-index';
const KEY_BYTES = 32;

/** The first writer's key won: ours was not stored (a private signal, never thrown out of `EmailIndex`). */
class LostRace extends Error {}

/**
 * Hashes email addresses into their lookup hash. The key is created on first use (the first
 * instance to store it wins a race; the others use the winner's) and kept unwrapped per instance
 * for `ttlMs`: one GetItem and one KMS Decrypt per instance and hour in steady state.
 */
export class EmailIndex {
  readonly #table: Table;
  readonly #piiKeys: KeyProvider;
  readonly #now: () => number;
  readonly #cache: DataKeyCache;
  readonly #audit: AuditTrail | undefined;

  constructor(table: Table, piiKeys: KeyProvider, options: EmailIndexOptions = {}) {
    this.#table = table;
    this.#piiKeys = piiKeys;
    this.#audit = options.audit;
    this.#now = options.now ?? (() => Date.now());
    this.#cache = new DataKeyCache({ maxEntries: 1, ttlMs: options.ttlMs ?? 60 * 60_000, now: this.#now });
  }

  /**
   * The lookup hash of `email` (64 hex digits, a valid key part): the same for every spelling that
   * differs only in case.
   * @example await platform.emailIndex.lookupHash('Ada@Example.com') // === lookupHash('ada@example.com')
   */
  async lookupHash(email: string): Promise<string> {
    const key = await this.#cache.get(CACHE_KEY, () => this.#load());
    return createHmac('sha256', key).update(email.toLowerCase(), 'utf8').digest('hex');
  }

  /** The stored key, unwrapped; created first when there is none. */
  async #load(): Promise<Uint8Array> {
    const stored = await this.#table.read(EmailIndexKeys.at());
    if (stored) return this.#unwrap(stored);
    const created = await this.#create();
    if (created) return created;
    const winner = await this.#table.read(EmailIndexKeys.at());
    if (!winner) throw new Error('the email index key is missing after another instance stored it');
    return this.#unwrap(winner);
  }

  /** Stores a new key unless one exists; returns it, or undefined when another instance stored one first. */
  async #create(): Promise<Uint8Array | undefined> {
    const dataKey = await this.#piiKeys.generateDataKey(emailIndexContext);
    const record: EmailIndexKeyRecord = { wrapped: Buffer.from(dataKey.wrapped).toString('base64'), rootKeyId: dataKey.rootKeyId, createdAt: new Date(this.#now()).toISOString() };
    const create = EmailIndexKeys.at().create(record, () => new LostRace());
    try {
      if (this.#audit) {
        await this.#audit.commit(
          { scope: AuditScopes.platform, actor: EMAIL_INDEX_BOOTSTRAP_ACTOR, action: 'platform.email_index_key_created', target: { type: 'key', id: 'email-index' }, metadata: { rootKeyId: record.rootKeyId } },
          [create],
        );
      } else {
        await this.#table.transact([create]);
      }
      return dataKey.plaintext;
    } catch (error) {
      dataKey.plaintext.fill(0);
      if (error instanceof LostRace) return undefined;
      throw error;
    }
  }

  async #unwrap(record: EmailIndexKeyRecord): Promise<Uint8Array> {
    // Checked before any KMS call: a key wrapped elsewhere (a table from another deployment, a
    // local data directory whose PII key file changed) is refused, never half-used.
    if (record.rootKeyId !== this.#piiKeys.rootKeyId) throw new SealedValueError('The email index key is wrapped under another PII key.');
    const key = await this.#piiKeys.decryptDataKey(Buffer.from(record.wrapped, 'base64'), emailIndexContext);
    if (key.length !== KEY_BYTES) throw new SealedValueError('The email index key has the wrong length.');
    return key;
  }
}
