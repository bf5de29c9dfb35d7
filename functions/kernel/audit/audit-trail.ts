import { setTimeout as sleep } from 'node:timers/promises';
import { KeyPrefix, Keys } from '../storage/keys';
import { Conditions, TransactionConflictError, type Table, type TransactWrite } from '../storage/table';
import { ServiceUnavailableError } from '../errors';
import { AuditActions, isAuditAction, type AuditAction, type AuditMetadata } from './catalogue';
import {
  AuditActor,
  AuditHead,
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
function writesAuditKey({ item }: TransactWrite): boolean {
  const pk = (item.Put?.Item ?? item.Update?.Key ?? item.Delete?.Key)?.pk;
  return typeof pk === 'string' && (pk.startsWith(KeyPrefix.audit) || pk.startsWith(KeyPrefix.auditHead));
}

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
   * @example await audit.commit({ scope: `org:${orgId}`, actor, action: 'org.created', metadata }, [putOrg])
   */
  async commit<A extends AuditAction>(entry: AuditEntry<A>, changes: readonly TransactWrite[] = []): Promise<AuditRecord> {
    if (!isAuditAction(entry.action)) throw new TypeError(`unknown audit action: ${String(entry.action)}`);
    const scope = AuditScope.parse(entry.scope);
    const actor = AuditActor.parse(entry.actor);
    const target = entry.target === undefined ? undefined : AuditTarget.parse(entry.target);
    const metadata = AuditActions[entry.action].parse(entry.metadata) as Record<string, unknown>;
    if (changes.length > 98) throw new RangeError('a transaction holds at most 100 items, two of them the audit record and head');
    // Records are immutable and heads move only with a record: a change riding along in the same
    // transaction could otherwise delete or rewrite history and still commit a valid-looking record.
    if (changes.some(writesAuditKey)) throw new TypeError('a change may not write audit records or chain heads');

    for (let attempt = 1; ; attempt++) {
      const head = await this.#table.get(Keys.auditHead(scope), AuditHead, { consistent: true });
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
    const recordKey = Keys.auditRecord(record.scope, record.seq);
    const headKey = Keys.auditHead(record.scope);
    const moved = () => new ChainHeadMoved();
    return [
      {
        item: {
          Put: {
            TableName: '',
            Item: { ...recordKey, gsi1pk: Keys.auditByAction(record.scope, record.action), gsi1sk: recordKey.sk, ...record },
            ...Conditions.notExists,
          },
        },
        onConditionFailed: moved,
      },
      {
        item: {
          Put: {
            TableName: '',
            Item: { ...headKey, scope: record.scope, seq: record.seq, hash: record.hash, updatedAt: record.at },
            ...(head
              ? {
                  ConditionExpression: '#seq = :prevSeq AND #hash = :prevHash',
                  ExpressionAttributeNames: { '#seq': 'seq', '#hash': 'hash' },
                  ExpressionAttributeValues: { ':prevSeq': head.seq, ':prevHash': head.hash },
                }
              : Conditions.notExists),
          },
        },
        onConditionFailed: moved,
      },
    ];
  }
}
