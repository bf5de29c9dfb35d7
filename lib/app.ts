import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import packageJson from '../package.json' with { type: 'json' };
import { ApiStack } from './api-stack';
import { DataStack } from './data-stack';
import { EventsStack } from './events-stack';
import { assertStage, DEFAULT_STAGE } from './stage';

export interface RampartStacks {
  readonly stage: string;
  readonly data: DataStack;
  readonly events: EventsStack;
  readonly api: ApiStack;
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
 * Adds Rampart's stacks to an app, for the stage named by the `stage` context (default `prod`).
 * Stacks are environment-agnostic (no lookups), so synth needs no AWS account or credentials.
 */
export function buildApp(app: App, options: BuildOptions = {}): RampartStacks {
  // Strong references (exports/imports): CloudFormation refuses to remove a table or key another
  // stack still uses. Set explicitly so the choice is ours, not a changing library default.
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES) === undefined) app.node.setContext(CROSS_STACK_REFERENCES, 'strong');
  const stage = assertStage(String(app.node.tryGetContext('stage') ?? DEFAULT_STAGE));
  const version = packageJson.version;
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
    version,
  });
  const api = new ApiStack(app, StackIds.api, {
    stackName: stackName(StackIds.api),
    description: `Rampart ${stage}: WAF, REST API, domain functions`,
    stage,
    table: data.table,
    rootKey: data.rootKey,
    bus: events.bus,
    version,
  });
  if (options.complianceChecks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stage, data, events, api };
}

/** A new app with Rampart's stacks, as `cdk synth` builds it (tests pass context, e.g. to skip bundling). */
export function createRampartApp(props: AppProps = {}, options: BuildOptions = {}): { app: App } & RampartStacks {
  const app = new App(props);
  return { app, ...buildApp(app, options) };
}
