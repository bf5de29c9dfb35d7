import { AuditTrail } from '../audit/audit-trail';
import { AccessTokens } from '../auth/access-tokens';
import { createAuthenticator } from '../auth/authenticate';
import { EmailIndex } from '../auth/email-index';
import { SigningKeyStore } from '../auth/signing-keys';
import { ConfigurationError } from '../errors';
import { SesMailer } from '../mail/ses-mailer';
import { announceAuditRecords } from '../audit/audit-events';
import { EventBridgePublisher } from '../events/eventbridge-publisher';
import { KmsKeyProvider } from '../keys/kms-key-provider';
import { Table } from '../storage/table';
import type { Logger } from '../logging/logger';
import type { Platform } from './platform';

/** The environment every Rampart function is deployed with (set by the CDK API stack). */
export const PlatformEnv = {
  tableName: 'RAMPART_TABLE_NAME',
  rootKeyArn: 'RAMPART_ROOT_KEY_ARN',
  /** The second KMS key, which wraps per-user data keys (personal data). */
  piiKeyArn: 'RAMPART_PII_KEY_ARN',
  eventBusName: 'RAMPART_EVENT_BUS_NAME',
  version: 'RAMPART_VERSION',
  mailFrom: 'RAMPART_MAIL_FROM',
  appUrl: 'RAMPART_APP_URL',
} as const;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`Missing environment variable ${name}`);
  return value;
}

/** Builds the AWS adapters from the function's environment. Throws at cold start if any is missing. */
export function awsPlatform(logger: Logger, env: NodeJS.ProcessEnv = process.env): Platform {
  const table = new Table({ tableName: required(env, PlatformEnv.tableName) });
  const events = new EventBridgePublisher({ busName: required(env, PlatformEnv.eventBusName) });
  const keys = new KmsKeyProvider({ keyArn: required(env, PlatformEnv.rootKeyArn) });
  const audit = new AuditTrail({
    table,
    onRecorded: announceAuditRecords(events, (error) => logger.error('Could not publish audit.recorded', { error })),
  });
  const tokens = new AccessTokens(new SigningKeyStore(table, keys, undefined, { audit }));
  const piiKeys = new KmsKeyProvider({ keyArn: required(env, PlatformEnv.piiKeyArn) });
  return {
    version: required(env, PlatformEnv.version),
    table,
    keys,
    piiKeys,
    emailIndex: new EmailIndex(table, piiKeys, { audit }),
    events,
    mailer: new SesMailer({ from: required(env, PlatformEnv.mailFrom) }),
    tokens,
    appUrl: required(env, PlatformEnv.appUrl),
    authenticate: createAuthenticator({ table, tokens }),
    audit,
  };
}
