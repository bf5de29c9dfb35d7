import { AuditTrail } from '../functions/kernel/audit/audit-trail';
import { AccessTokens } from '../functions/kernel/auth/access-tokens';
import { createAuthenticator } from '../functions/kernel/auth/authenticate';
import { EmailIndex } from '../functions/kernel/auth/email-index';
import { SigningKeyStore } from '../functions/kernel/auth/signing-keys';
import { announceAuditRecords } from '../functions/kernel/audit/audit-events';
import type { KeyProvider } from '../functions/kernel/keys/key-provider';
import type { Platform } from '../functions/kernel/platform/platform';
import { Table } from '../functions/kernel/storage/table';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb-local';
import { LocalEventBus } from './local-event-bus';
import { OutboxMailer } from './outbox-mailer';

export interface LocalPlatformOptions {
  readonly endpoint: string;
  readonly tableName: string;
  readonly keys: KeyProvider;
  /** The PII key's stand-in: a second local root key (`<data dir>/keys/pii-root.key`). */
  readonly piiKeys: KeyProvider;
  readonly events?: LocalEventBus;
  readonly version: string;
  /** Where mail is written (`<data dir>/outbox`). */
  readonly outboxDirectory: string;
  readonly announce?: (line: string) => void;
  /** Where links in mail point (the local gateway's URL). */
  readonly appUrl: string;
}

/** The local adapters behind the same ports the Lambda functions use on AWS. */
export function localPlatform(options: LocalPlatformOptions): Platform & { events: LocalEventBus } {
  const table = new Table({
    tableName: options.tableName,
    clientConfig: { endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
  });
  const events = options.events ?? new LocalEventBus();
  const audit = new AuditTrail({
    table,
    onRecorded: announceAuditRecords(events, (error) => console.error('local platform: could not publish audit.recorded', error)),
  });
  const tokens = new AccessTokens(new SigningKeyStore(table, options.keys, undefined, { audit }));
  return {
    version: options.version,
    table,
    keys: options.keys,
    piiKeys: options.piiKeys,
    emailIndex: new EmailIndex(table, options.piiKeys, { audit }),
    events,
    mailer: new OutboxMailer(options.outboxDirectory, options.announce),
    tokens,
    appUrl: options.appUrl,
    authenticate: createAuthenticator({ table, tokens }),
    audit,
  };
}
