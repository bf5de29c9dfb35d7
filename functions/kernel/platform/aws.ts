import { ConfigurationError } from '../errors';
import { EventBridgePublisher } from '../events/eventbridge-publisher';
import { KmsKeyProvider } from '../keys/kms-key-provider';
import type { Logger } from '../logging/logger';
import { SesMailer } from '../mail/ses-mailer';
import { Table } from '../storage/table';
import { composePlatform } from './compose';
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
  return composePlatform({
    version: required(env, PlatformEnv.version),
    table: new Table({ tableName: required(env, PlatformEnv.tableName) }),
    keys: new KmsKeyProvider({ keyArn: required(env, PlatformEnv.rootKeyArn) }),
    piiKeys: new KmsKeyProvider({ keyArn: required(env, PlatformEnv.piiKeyArn) }),
    events: new EventBridgePublisher({ busName: required(env, PlatformEnv.eventBusName) }),
    mailer: new SesMailer({ from: required(env, PlatformEnv.mailFrom) }),
    appUrl: required(env, PlatformEnv.appUrl),
    onAnnounceFailure: (error) => logger.error('Could not publish audit.recorded', { error }),
  });
}
