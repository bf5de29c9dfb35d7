import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { FALLBACK_DOMAIN, type Domain } from '../functions/kernel/domains';
import type { Route } from '../functions/kernel/http/route';
import { routeTable } from '../functions/routes';
import { capabilitiesOf, DomainCapabilities, type DomainCapabilityMap } from './capabilities';
import { DomainFunction, type PlatformResources } from './constructs/domain-function';
import { RampartRestApi } from './constructs/rest-api';
import type { OperatorAlerts } from './constructs/operator-alerts';
import { SigningKeyRotation } from './constructs/signing-key-rotation';
import { RegionalWebAcl } from './constructs/web-acl';

/** The API stack is wired to the same platform resources as each of its functions. */
export interface ApiStackProps extends StackProps, PlatformResources {
  readonly stage: string;
  /**
   * The endpoints to serve.
   * @default routeTable (functions/routes.ts)
   */
  readonly routes?: readonly Route[];
  /**
   * What each domain's function may do beyond the platform baseline.
   * @default DomainCapabilities (lib/capabilities.ts)
   */
  readonly capabilities?: DomainCapabilityMap;
  /**
   * Where the alarm on the signing-key rotation's dead-letter queue goes.
   * @default no alarm
   */
  readonly alerts?: OperatorAlerts;
  /**
   * How often the access-token signing key is rotated, in whole days (1 to 365).
   * @default DEFAULT_SIGNING_KEY_ROTATION_DAYS (30)
   */
  readonly signingKeyRotationDays?: number;
}

/** The stack output naming the signing-key rotation function, for rotating by hand. */
export const SIGNING_KEY_ROTATOR_OUTPUT = 'SigningKeyRotatorName';

/**
 * The native modules each domain's code loads (see `DomainFunctionProps.nativeModules`); a domain
 * not named here carries none. A domain that imports one without being listed fails the synth
 * (esbuild has no loader for `.node` files).
 */
export const DomainNativeModules: Partial<Record<Domain, readonly string[]>> = {
  identity: ['@node-rs/argon2'], // password hashing
};

/**
 * The public edge: WAF → REST API → one Lambda function per domain of the route table; and the
 * scheduled rotation of the access-token signing key.
 */
export class ApiStack extends Stack {
  readonly functions: ReadonlyMap<Domain, DomainFunction>;
  readonly restApi: RampartRestApi;
  readonly webAcl: RegionalWebAcl;
  readonly signingKeyRotation: SigningKeyRotation;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const routes = props.routes ?? routeTable;
    const platform: PlatformResources = { table: props.table, rootKey: props.rootKey, piiKey: props.piiKey, bus: props.bus, version: props.version, mail: props.mail, appUrl: props.appUrl };
    const capabilities = props.capabilities ?? DomainCapabilities;

    const domains = new Set<Domain>([FALLBACK_DOMAIN, ...routes.map((route) => route.domain)]);
    const functions = new Map<Domain, DomainFunction>();
    for (const domain of domains) {
      const nativeModules = DomainNativeModules[domain] ?? [];
      functions.set(
        domain,
        new DomainFunction(this, `${domain}Function`, {
          domain,
          kind: 'handler',
          platform,
          nativeModules,
          capabilities: capabilitiesOf(domain, capabilities),
        }),
      );
    }
    this.functions = functions;

    const handlers = new Map<Domain, lambda.IFunction>([...functions].map(([domain, fn]) => [domain, fn.function]));
    this.restApi = new RampartRestApi(this, 'RestApi', {
      restApiName: `rampart-${props.stage}`,
      stageName: props.stage,
      routes,
      functions: handlers,
      fallback: functions.get(FALLBACK_DOMAIN)!.function,
    });

    this.webAcl = new RegionalWebAcl(this, 'WebAcl', { name: `rampart-${props.stage}`, resourceArn: this.restApi.stage.stageArn });

    this.signingKeyRotation = new SigningKeyRotation(this, 'SigningKeyRotation', {
      platform,
      ...(props.signingKeyRotationDays === undefined ? {} : { rotationDays: props.signingKeyRotationDays }),
    });
    props.alerts?.alarmOnDeadLetters(this.signingKeyRotation, 'DeadLettersAlarm', this.signingKeyRotation.deadLetterQueue, 'rotating the access-token signing key');
    // Operators rotate by hand by invoking this function (docs/identity.md, "Rotation").
    new CfnOutput(this, SIGNING_KEY_ROTATOR_OUTPUT, {
      description: 'The function that rotates the access-token signing key (aws lambda invoke --function-name <this>)',
      value: this.signingKeyRotation.rotator.function.functionName,
    });
  }
}
