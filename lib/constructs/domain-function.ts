import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PlatformEnv } from '../../functions/kernel/platform/aws';
import { PiiPurposes, PiiUnwrapOnlyPurposes, UnwrapPurposes, type Capability } from '../capabilities';
import { EventsActions, LogsActions, XRayActions } from '../iam-actions';
import type { MailSender } from '../mail-sender';
import { FUNCTIONS_DIR, PROJECT_ROOT } from '../paths';
import type { RampartTable } from './rampart-table';
import type { RootKey } from './root-key';

/** What every Rampart function is wired to (the `PlatformEnv` of its environment). */
export interface PlatformResources {
  readonly table: RampartTable;
  readonly rootKey: RootKey;
  /**
   * The PII key (`RAMPART_PII_KEY_ARN`): every function is told its ARN, and only capabilities
   * listed in `PiiPurposes` get a grant on it, each for its own purposes. Required: the AWS
   * platform refuses to start without `RAMPART_PII_KEY_ARN`.
   */
  readonly piiKey: RootKey;
  readonly bus: events.IEventBus;
  /** The Rampart version the functions report (`RAMPART_VERSION`). */
  readonly version: string;
  /** The From address every function is told (`RAMPART_MAIL_FROM`); only `sendMail` may send. */
  readonly mail: MailSender;
  /** The web app's public URL, which links in mail start with (`RAMPART_APP_URL`). */
  readonly appUrl: string;
}

/**
 * A domain's entry points: `handler` serves the API, `consumer` receives EventBridge events, and a
 * scheduled job is named after what it does (`rotate-signing-key` rotates the access-token signing key).
 */
export type FunctionKind = 'handler' | 'consumer' | 'rotate-signing-key';

export interface DomainFunctionProps {
  readonly domain: string;
  readonly kind: FunctionKind;
  readonly platform: PlatformResources;
  /**
   * What this function may do beyond the platform baseline (see lib/capabilities.ts).
   * @default none
   */
  readonly capabilities?: readonly Capability[];
  /**
   * Memory; CPU scales with it, and argon2 hashing will need it.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Bounded well below API Gateway's 29 s so that a stuck call ends as a logged timeout.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory holding `<domain>/<kind>.ts`.
   * @default the repository's functions/ directory
   */
  readonly functionsDir?: string;
  /**
   * Packages with native code (a `.node` binary, e.g. `@node-rs/argon2`) that the function loads.
   * esbuild cannot bundle them: they stay external and `npm ci` installs them into the asset from
   * the project's lock file, for Lambda's platform (linux, arm64, glibc) whatever machine builds.
   * Only the functions that name one pay for it (asset size, an npm install per synth).
   * @default none
   */
  readonly nativeModules?: readonly string[];
  /**
   * Where Lambda sends an asynchronous invocation (a schedule, an event) that failed every retry.
   * API functions are invoked synchronously: API Gateway gets the error, so they need none. The
   * role is then allowed `sqs:SendMessage` on that queue alone (granted by the Lambda construct).
   * @default none
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

const DOMAIN = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * An ESM bundle has no `require`; CommonJS dependencies that call it at run time (dynamic
 * `require('node:…')`) would throw "Dynamic require is not supported". The bundle defines one from
 * `import.meta.url`. (Native modules are not bundled: see `nativeModules`.)
 */
const REQUIRE_SHIM = "import { createRequire as __rampartCreateRequire } from 'node:module'; const require = __rampartCreateRequire(import.meta.url);";

/** Every function runs on Graviton; `LAMBDA_NPM_PLATFORM` and the binary check must follow it. */
const ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * npm's platform overrides (`--os`, `--cpu`, `--libc`, given as environment config) for the
 * `npm ci` that NodejsFunction runs in the asset when `nodeModules` is set: it then picks the
 * optional binary packages (`@node-rs/argon2-linux-arm64-gnu`) for Lambda's Amazon Linux on
 * arm64 rather than for the build machine, so an x64 laptop or CI runner ships the arm64 binary
 * and nothing else. The lock file pins each binary's version and integrity.
 */
const LAMBDA_NPM_PLATFORM = { npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' } as const;

/** Fails the bundling when a `.node` file of the asset is not a binary for `ARCHITECTURE`. */
const ASSERT_NATIVE_BINARIES = 'lib/bundling/assert-native-binaries.mjs';

/**
 * One Lambda function of one domain: Node.js 24 on arm64, an ESM bundle, X-Ray tracing, its own log
 * group with retention, and its own role holding only what `PlatformEnv` needs: item access to the
 * table (with the audit-immutability deny), envelope encryption under the root key, and PutEvents
 * on the bus; sending mail only with the `sendMail` capability, the PII key only with a capability
 * of `PiiPurposes`. No managed policies.
 */
export class DomainFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DomainFunctionProps) {
    super(scope, id);
    const { domain, kind, platform } = props;
    const nativeModules = props.nativeModules ?? [];
    if (!DOMAIN.test(domain)) throw new Error(`Invalid domain name "${domain}"`);
    const entry = join(props.functionsDir ?? FUNCTIONS_DIR, domain, `${kind}.ts`);
    if (!existsSync(entry)) throw new Error(`Domain ${domain} has no ${kind} entry: expected ${entry}`);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Rampart ${domain} ${kind}`,
    });
    iam.Grant.addToPrincipal({ grantee: this.role, actions: [...LogsActions.writeToGroup], resourceArns: [this.logGroup.logGroupArn] });
    platform.table.grantItemAccess(this.role);
    platform.rootKey.grantWrap(this.role);
    platform.rootKey.grantUnwrap(this.role, (props.capabilities ?? []).flatMap((c) => UnwrapPurposes[c] ?? []));
    // The PII key: wrap and unwrap for the capabilities' own purposes only (some unwrap only), nothing for anyone else.
    const piiPurposes = [...new Set((props.capabilities ?? []).flatMap((c) => PiiPurposes[c] ?? []))];
    const unwrapOnly = (props.capabilities ?? []).flatMap((c) => PiiUnwrapOnlyPurposes[c] ?? []);
    platform.piiKey.grantWrap(this.role, piiPurposes);
    platform.piiKey.grantUnwrap(this.role, [...new Set([...piiPurposes, ...unwrapOnly])]);
    iam.Grant.addToPrincipal({ grantee: this.role, actions: [...EventsActions.publish], resourceArns: [platform.bus.eventBusArn] });
    if (props.capabilities?.includes('sendMail')) platform.mail.grantSendMail(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      description: `Rampart ${domain} ${kind}`,
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: ARCHITECTURE,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      environment: {
        [PlatformEnv.tableName]: platform.table.table.tableName,
        [PlatformEnv.rootKeyArn]: platform.rootKey.keyArn,
        [PlatformEnv.piiKeyArn]: platform.piiKey.keyArn,
        [PlatformEnv.eventBusName]: platform.bus.eventBusName,
        [PlatformEnv.version]: platform.version,
        [PlatformEnv.mailFrom]: platform.mail.from,
        [PlatformEnv.appUrl]: platform.appUrl,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        banner: REQUIRE_SHIM,
        // The SDK we test against is the SDK we run: the runtime's copy changes under us.
        bundleAwsSDK: true,
        ...(nativeModules.length > 0 ? nativeModuleBundling(nativeModules) : {}),
      },
    });

    // Tracing is switched on here rather than with the `tracing` prop, which would put X-Ray's
    // `Resource: *` statement into the role's default policy, where an acknowledgement would also
    // hide any other wildcard added later. Its own policy keeps the acknowledgement that narrow.
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    const tracing = new iam.Policy(this, 'TracingPolicy', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: [...XRayActions.publishTraces], resources: ['*'] })],
    });
    this.function.node.addDependency(tracing);
    Validations.of(tracing).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; this policy holds only those two actions.',
    });
  }
}

/**
 * Bundling options that install native modules into the asset for Lambda's platform, then check
 * the result: an older npm that ignored the platform overrides would install the build machine's
 * binary, and the function would fail at its first call ("Cannot find native binding") instead of
 * the synth failing here. The check runs from the input directory, so it also works when CDK falls
 * back to Docker bundling.
 */
function nativeModuleBundling(nativeModules: readonly string[]) {
  return {
    nodeModules: [...nativeModules],
    environment: { ...LAMBDA_NPM_PLATFORM },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) => [`node "${inputDir}/${ASSERT_NATIVE_BINARIES}" "${outputDir}" ${ARCHITECTURE.name}`],
    },
  };
}
