import { setTimeout as sleep } from 'node:timers/promises';
import { Conditions } from '../storage/conditions';
import { KeyPrefix } from '../storage/keys';
import { MAX_TRANSACTION_ITEMS, TransactionConflictError, type Table } from '../storage/table';
import { keyOfWrite, type TransactWrite } from '../storage/writes';
import { ServiceUnavailableError } from '../errors';
import { AuditActions, isAuditAction, type AuditAction, type AuditMetadata } from './catalogue';
import {
  AuditActor,
  AuditHeads,
  AuditRecords,
  type AuditHead,
  AuditScope,
  AuditTarget,
  GENESIS_HASH,
  hashAuditRecord,
  type AuditRecord,
} from './record';

export interface AuditEntry<A extends AuditAction = AuditAction> {
  readonly scope: string;
  readonly actor: AuditActor;
  readonly action: A;
  readonly target?: AuditTarget;
  readonly outcome?: 'success' | 'failure' | 'denied';
  readonly metadata: AuditMetadata<A>;
}

/** Whether a transaction item writes (puts, updates or deletes) an item under an audit key. */
function writesAuditKey(write: TransactWrite): boolean {
  if (write.item.ConditionCheck) return false;
  const pk = keyOfWrite(write)?.pk;
  return typeof pk === 'string' && (pk.startsWith(KeyPrefix.audit) || pk.startsWith(KeyPrefix.auditHead));
}

/** The changes one `commit` carries at most: a transaction's items, less the record and the head. */
export const MAX_CHANGES_WITH_RECORD = MAX_TRANSACTION_ITEMS - 2;

/** Another writer extended the chain between our read of the head and our transaction. */
class ChainHeadMoved extends Error {}

// Writers to one scope serialise on its head, so a burst of N concurrent commits needs about N
// rounds between them: 8 attempts lost regularly with 25 concurrent writers, 16 leaves headroom.
const MAX_ATTEMPTS = 16;

export interface AuditTrailOptions {
  readonly table: Table;
  readonly now?: () => Date;
  /** Called after a record committed (e.g. to publish `audit.recorded`); failures are the caller's. */
  readonly onRecorded?: (record: AuditRecord) => Promise<void>;
}

/**
 * The append-only, hash-chained audit trail. A record is written in the same DynamoDB transaction
 * as the change it records, together with a conditional update of its scope's chain head, so no
 * change lands without its record and two writers can never both extend the chain from one head.
 */
export class AuditTrail {
  readonly #table: Table;
  readonly #now: () => Date;
  readonly #onRecorded: ((record: AuditRecord) => Promise<void>) | undefined;

  constructor(options: AuditTrailOptions) {
    this.#table = options.table;
    this.#now = options.now ?? (() => new Date());
    this.#onRecorded = options.onRecorded;
  }

  /**
   * Commits `changes` and the audit record of `entry` atomically.
   * The changes' own condition failures surface as their `onConditionFailed` errors; losing the race
   * for the chain head is retried (the changes are re-evaluated with it).
   * @example await audit.commit(orgAuditEntry(ctx, scope, 'org.updated', { type: 'org', id: scope.orgId }, { fields: ['name'] }), [updateOrgWrite(scope, org)])
   */
  async commit<A extends AuditAction>(entry: AuditEntry<A>, changes: readonly TransactWrite[] = []): Promise<AuditRecord> {
    if (!isAuditAction(entry.action)) throw new TypeError(`unknown audit action: ${String(entry.action)}`);
    const scope = AuditScope.parse(entry.scope);
    const actor = AuditActor.parse(entry.actor);
    const target = entry.target === undefined ? undefined : AuditTarget.parse(entry.target);
    const metadata = AuditActions[entry.action].parse(entry.metadata) as Record<string, unknown>;
    if (changes.length > MAX_CHANGES_WITH_RECORD) throw new RangeError('a transaction holds at most 100 items, two of them the audit record and head');
    // Records are immutable and heads move only with a record: a change riding along in the same
    // transaction could otherwise delete or rewrite history and still commit a valid-looking record.
    if (changes.some(writesAuditKey)) throw new TypeError('a change may not write audit records or chain heads');

    for (let attempt = 1; ; attempt++) {
      const head = await this.#table.read(AuditHeads.at(scope));
      const seq = (head?.seq ?? 0) + 1;
      const unsigned = {
        scope,
        seq,
        at: this.#now().toISOString(),
        actor,
        action: entry.action,
        ...(target ? { target } : {}),
        outcome: entry.outcome ?? 'success',
        metadata,
        prevHash: head?.hash ?? GENESIS_HASH,
      };
      const record: AuditRecord = { ...unsigned, hash: hashAuditRecord(unsigned) };
      try {
        await this.#table.transact([...changes, ...this.#chainWrites(record, head)]);
      } catch (error) {
        // On DynamoDB a concurrent writer's transaction on the head surfaces as a conflict, not as
        // a failed condition; both mean "re-read the head and try again".
        if (!(error instanceof ChainHeadMoved || error instanceof TransactionConflictError)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new ServiceUnavailableError('The audit trail is busy; retry.', error);
        // Jittered backoff: writers to one scope serialise on its head.
        await sleep(Math.random() * 10 * 2 ** Math.min(attempt, 5));
        continue;
      }
      await this.#onRecorded?.(record);
      return record;
    }
  }

  #chainWrites(record: AuditRecord, head: AuditHead | undefined): TransactWrite[] {
    const moved = () => new ChainHeadMoved();
    const headIsStill = head ? Conditions.all(Conditions.attributeIs('seq', head.seq), Conditions.attributeIs('hash', head.hash)) : Conditions.notExists;
    return [
      AuditRecords.at(record.scope, record.seq).create(record, moved),
      AuditHeads.at(record.scope).put({ scope: record.scope, seq: record.seq, hash: record.hash, updatedAt: record.at }, { when: headIsStill, onConditionFailed: moved }),
    ];
  }

  /**
   * Commits `changes` beyond what one transaction holds: the first ones atomically with the record
   * (as `commit`), the rest afterwards in transactions of their own. For changes that are each
   * safe on their own once the recorded one has landed (revoking more sessions, deleting more items).
   */
  async commitInBatches<A extends AuditAction>(entry: AuditEntry<A>, changes: readonly TransactWrite[]): Promise<AuditRecord> {
    const record = await this.commit(entry, changes.slice(0, MAX_CHANGES_WITH_RECORD));
    await this.#table.transactInBatches(changes.slice(MAX_CHANGES_WITH_RECORD));
    return record;
  }
}
