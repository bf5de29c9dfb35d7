import type { KeyProvider } from '../functions/kernel/keys/key-provider';
import { composePlatform } from '../functions/kernel/platform/compose';
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
  return composePlatform({
    version: options.version,
    table: new Table({
      tableName: options.tableName,
      clientConfig: { endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
    }),
    keys: options.keys,
    piiKeys: options.piiKeys,
    events: options.events ?? new LocalEventBus(),
    mailer: new OutboxMailer(options.outboxDirectory, options.announce),
    appUrl: options.appUrl,
    onAnnounceFailure: (error) => console.error('local platform: could not publish audit.recorded', error),
  });
}
