import { EmailIndex } from '../accounts/email-index';
import { announceAuditRecords } from '../audit/audit-events';
import { AuditTrail } from '../audit/audit-trail';
import { AccessTokens } from '../auth/access-tokens';
import { createAuthenticator } from '../auth/authenticate';
import { SigningKeyStore } from '../auth/signing-keys';
import type { EventPublisher } from '../events/event-bus';
import type { KeyProvider } from '../keys/key-provider';
import type { Mailer } from '../mail/mailer';
import type { Table } from '../storage/table';
import type { Platform } from './platform';

/** The adapters behind the ports: AWS ones in Lambda (`awsPlatform`), local ones under `npm start`. */
export interface PlatformAdapters<E extends EventPublisher = EventPublisher> {
  readonly version: string;
  readonly table: Table;
  readonly keys: KeyProvider;
  readonly piiKeys: KeyProvider;
  readonly events: E;
  readonly mailer: Mailer;
  readonly appUrl: string;
  /** Told when a committed audit record could not be announced on the bus (it is durable already). */
  readonly onAnnounceFailure: (error: unknown) => void;
}

/**
 * The platform built from its adapters, the same way wherever it runs: one audit trail (announcing
 * each record on the bus), one signing-key store and token service, one email index and the
 * authenticator, all over the same table and keys.
 */
export function composePlatform<E extends EventPublisher>(adapters: PlatformAdapters<E>): Platform & { readonly events: E } {
  const { onAnnounceFailure, ...ports } = adapters;
  const { table, keys, piiKeys, events } = ports;
  const audit = new AuditTrail({ table, onRecorded: announceAuditRecords(events, onAnnounceFailure) });
  const tokens = new AccessTokens(new SigningKeyStore(table, keys, undefined, { audit }));
  return {
    ...ports,
    audit,
    tokens,
    emailIndex: new EmailIndex(table, piiKeys, { audit }),
    authenticate: createAuthenticator({ table, tokens }),
  };
}
