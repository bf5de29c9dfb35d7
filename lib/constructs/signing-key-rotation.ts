import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { assertSigningKeyRotationDays, DEFAULT_SIGNING_KEY_ROTATION_DAYS } from '../signing-key-rotation-days';
import { DomainFunction, type PlatformResources } from './domain-function';

export interface SigningKeyRotationProps {
  readonly platform: PlatformResources;
  /**
   * How often the signing key is rotated, in whole days (1 to 365).
   * @default DEFAULT_SIGNING_KEY_ROTATION_DAYS (30)
   */
  readonly rotationDays?: number;
  /**
   * How many times EventBridge retries delivering a scheduled invocation it could not hand to Lambda.
   * @default 8
   */
  readonly deliveryRetryAttempts?: number;
  /**
   * Directory holding `identity/rotate-signing-key.ts`.
   * @default the repository's functions/ directory
   */
  readonly functionsDir?: string;
}

/**
 * Rotates the access-token signing key on a schedule: the identity domain's `rotate-signing-key`
 * function (the platform baseline of every domain function and nothing more: no mail), started by
 * an EventBridge rule. A rotation that cannot be delivered (EventBridge, after its retries) or that
 * keeps failing (Lambda, after two retries) lands in one encrypted, TLS-only dead-letter queue.
 */
export class SigningKeyRotation extends Construct {
  readonly rotator: DomainFunction;
  readonly schedule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;
  readonly rotationDays: number;

  constructor(scope: Construct, id: string, props: SigningKeyRotationProps) {
    super(scope, id);
    this.rotationDays = assertSigningKeyRotationDays(props.rotationDays ?? DEFAULT_SIGNING_KEY_ROTATION_DAYS);

    // Also the function's own dead-letter queue: EventBridge's receives only what it could not
    // deliver, while a rotation that throws is retried, and then dropped, by Lambda.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.rotator = new DomainFunction(this, 'Rotator', {
      domain: 'identity',
      kind: 'rotate-signing-key',
      platform: props.platform,
      memorySize: 512,
      timeout: Duration.seconds(20),
      deadLetterQueue: this.deadLetterQueue,
      ...(props.functionsDir ? { functionsDir: props.functionsDir } : {}),
    });
    // A retry after a rotation that did commit only rotates once more: each key keeps its grace period.
    this.rotator.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6) });

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Rampart: rotate the access-token signing key every ${this.rotationDays} day(s)`,
      schedule: events.Schedule.rate(Duration.days(this.rotationDays)),
    });
    this.schedule.addTarget(
      new targets.LambdaFunction(this.rotator.function, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.deliveryRetryAttempts ?? 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
