import { Annotations, App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import packageJson from '../package.json' with { type: 'json' };
import { ApiStack } from './api-stack';
import { DataStack } from './data-stack';
import { EventsStack } from './events-stack';
import { APP_URL_CONTEXT, assertAppUrl, DEFAULT_APP_URL } from './app-url';
import { DEFAULT_MAIL, MailContext, MailSender } from './mail-sender';
import { assertSigningKeyRotationDays, DEFAULT_SIGNING_KEY_ROTATION_DAYS, SIGNING_KEY_ROTATION_CONTEXT } from './signing-key-rotation-days';
import { assertStage, DEFAULT_STAGE } from './stage';

/** The CDK context key of the address subscribed to operator alerts: `cdk deploy -c alertEmail=ops@example.org`. */
export const ALERT_EMAIL_CONTEXT = 'alertEmail';

function assertAlertEmail(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new Error(`Invalid ${ALERT_EMAIL_CONTEXT} "${String(value)}": give one email address`);
  return value;
}

export interface RampartStacks {
  readonly stage: string;
  readonly data: DataStack;
  readonly events: EventsStack;
  readonly api: ApiStack;
  readonly mail: MailSender;
  readonly appUrl: string;
}

const CROSS_STACK_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';

/** Stack ids: the stage prefixes the CloudFormation stack names, e.g. `prod-RampartApi`. */
export const StackIds = { data: 'RampartData', events: 'RampartEvents', api: 'RampartApi' } as const;

export interface BuildOptions {
  /**
   * Run the cdk-nag AwsSolutions checks on synth: any finding not acknowledged with a reason
   * (error or warning) fails the synth and is written to the cloud assembly's validation report.
   * @default true
   */
  readonly complianceChecks?: boolean;
}

/**
 * Adds Rampart's stacks to an app, for the stage named by the `stage` context (default `prod`), with
 * mail from the `mailFrom` address of the SES identity `mailIdentity` (defaults: `DEFAULT_MAIL`) with
 * links to `appUrl` (default: `DEFAULT_APP_URL`), rotating the signing key every `signingKeyRotationDays`
 * (default: `DEFAULT_SIGNING_KEY_ROTATION_DAYS`).
 * Stacks are environment-agnostic (no lookups), so synth needs no AWS account or credentials.
 */
export function buildApp(app: App, options: BuildOptions = {}): RampartStacks {
  // Strong references (exports/imports): CloudFormation refuses to remove a table or key another
  // stack still uses. Set explicitly so the choice is ours, not a changing library default.
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES) === undefined) app.node.setContext(CROSS_STACK_REFERENCES, 'strong');
  const stage = assertStage(String(app.node.tryGetContext('stage') ?? DEFAULT_STAGE));
  const version = packageJson.version;
  const mail = MailSender.fromContext(app.node);
  const appUrl = assertAppUrl(String(app.node.tryGetContext(APP_URL_CONTEXT) ?? DEFAULT_APP_URL));
  const signingKeyRotationDays = assertSigningKeyRotationDays(app.node.tryGetContext(SIGNING_KEY_ROTATION_CONTEXT) ?? DEFAULT_SIGNING_KEY_ROTATION_DAYS);
  const alertEmail = assertAlertEmail(app.node.tryGetContext(ALERT_EMAIL_CONTEXT));
  const stackName = (id: string) => `${stage}-${id}`;

  const data = new DataStack(app, StackIds.data, {
    stackName: stackName(StackIds.data),
    description: `Rampart ${stage}: table, keys`,
    stage,
  });
  const events = new EventsStack(app, StackIds.events, {
    stackName: stackName(StackIds.events),
    description: `Rampart ${stage}: event bus, archive, consumers`,
    stage,
    table: data.table,
    rootKey: data.rootKey,
    piiKey: data.piiKey,
    version,
    mail,
    appUrl,
    ...(alertEmail ? { alertEmail } : {}),
  });
  const api = new ApiStack(app, StackIds.api, {
    stackName: stackName(StackIds.api),
    description: `Rampart ${stage}: WAF, REST API, domain functions`,
    stage,
    table: data.table,
    rootKey: data.rootKey,
    piiKey: data.piiKey,
    bus: events.bus,
    version,
    mail,
    appUrl,
    signingKeyRotationDays,
    alerts: events.alerts,
  });
  if (mail.isDefault) {
    Annotations.of(api).addWarningV2(
      'rampart:mail-default',
      `No ${MailContext.from}/${MailContext.identity} context: mail would be sent from ${DEFAULT_MAIL.from}, which SES refuses. Deploy with -c ${MailContext.from}=… -c ${MailContext.identity}=… naming a verified SES identity.`,
    );
  }
  if (appUrl === DEFAULT_APP_URL) {
    Annotations.of(api).addWarningV2('rampart:app-url-default', `No ${APP_URL_CONTEXT} context: links in mail point at ${DEFAULT_APP_URL}. Deploy with -c ${APP_URL_CONTEXT}=https://….`);
  }
  if (options.complianceChecks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stage, data, events, api, mail, appUrl };
}

/** A new app with Rampart's stacks, as `cdk synth` builds it (tests pass context, e.g. to skip bundling). */
export function createRampartApp(props: AppProps = {}, options: BuildOptions = {}): { app: App } & RampartStacks {
  const app = new App(props);
  return { app, ...buildApp(app, options) };
}
