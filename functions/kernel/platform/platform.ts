import type { AuditTrail } from '../audit/audit-trail';
import type { AccessTokens } from '../auth/access-tokens';
import type { Authenticator } from '../auth/authenticator';
import type { EmailIndex } from '../accounts/email-index';
import type { EventPublisher } from '../events/event-bus';
import type { KeyProvider } from '../keys/key-provider';
import type { Mailer } from '../mail/mailer';
import type { Table } from '../storage/table';

/**
 * The adapters behind every port, chosen once per process: AWS ones in Lambda (`awsPlatform`),
 * local ones under `npm start` and in tests (installed with `installPlatform`). Domain code reaches
 * storage, keys and events only through this object.
 */
export interface Platform {
  readonly version: string;
  readonly table: Table;
  /** Wraps data keys under the root key (organization keys, signing keys). */
  readonly keys: KeyProvider;
  /**
   * Wraps data keys under the PII key, a second root: one data key per user seals that user's
   * personal data, and deleting it shreds them. Only identity may use it (IAM, by purpose).
   */
  readonly piiKeys: KeyProvider;
  /**
   * The lookup hash of an email address, keyed by the email index key (a data key of `piiKeys`,
   * stored wrapped in `table`): one instance per platform, so the unwrapped key is cached once.
   */
  readonly emailIndex: EmailIndex;
  readonly events: EventPublisher;
  readonly audit: AuditTrail;
  readonly mailer: Mailer;
  /** Issues and verifies access tokens (one instance, so signing and verifying share a key cache). */
  readonly tokens: AccessTokens;
  /** Where people open links from mail (verification, reset), e.g. `https://console.example.com`. */
  readonly appUrl: string;
  /** Establishes the principal of every non-public route. */
  readonly authenticate: Authenticator;
}

let installed: Platform | undefined;
let factory: (() => Platform) | undefined;

/** Installs the platform for this process (local gateway, tests). */
export function installPlatform(platform: Platform): void {
  installed = platform;
}

/** Registers how to build the platform on first use when none was installed (Lambda: from env). */
export function setPlatformFactory(build: () => Platform): void {
  factory = build;
}

/** The current platform; built on first use, so a misconfiguration fails the cold start loudly. */
export function platform(): Platform {
  if (!installed) {
    if (!factory) throw new Error('No platform installed and no factory registered');
    installed = factory();
  }
  return installed;
}
