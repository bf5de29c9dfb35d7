import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventCatalogue } from '../../functions/kernel/events/catalogue';
import type { EventRule } from '../../functions/kernel/events/rules';
import type { Capability } from '../capabilities';
import { DomainFunction, type PlatformResources } from './domain-function';
import type { OperatorAlerts } from './operator-alerts';

export interface EventConsumerProps {
  readonly domain: string;
  /** The rules (all naming this domain as consumer) that deliver to the consumer function. */
  readonly rules: readonly EventRule[];
  readonly platform: PlatformResources;
  /**
   * What the consumer may do beyond the platform baseline (see lib/capabilities.ts).
   * @default none
   */
  readonly capabilities?: readonly Capability[];
  /**
   * How long one delivery may run.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * How many times EventBridge retries a failed delivery before the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
  /**
   * Directory holding `<domain>/consumer.ts`.
   * @default the repository's functions/ directory
   */
  readonly functionsDir?: string;
  /**
   * Where an alarm goes when any of the consumer's dead-letter queues holds a message.
   * @default no alarms
   */
  readonly alerts?: OperatorAlerts;
}

/** Queues that hold failed events: retention and encryption shared by every dead-letter queue here. */
const deadLetterQueueProps = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) } as const;

/**
 * A domain's event consumer: its `consumer.ts` function (the same construct, role shape and grants
 * as the API functions) and one EventBridge rule per `EventRule`. Two kinds of encrypted, TLS-only
 * dead-letter queue: one per rule for events EventBridge could not hand to Lambda, and the
 * function's own for events it was handed but kept failing (Lambda retries twice, then would drop
 * them). With `alerts`, a message in any of them raises an alarm.
 */
export class EventConsumer extends Construct {
  readonly consumer: DomainFunction;
  readonly rules: events.Rule[] = [];
  /** Per rule, what EventBridge could not deliver. */
  readonly deadLetterQueues: sqs.Queue[] = [];
  /** What the function was handed and failed on every attempt. */
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: EventConsumerProps) {
    super(scope, id);
    this.failures = new sqs.Queue(this, 'Failures', deadLetterQueueProps);
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is the dead-letter queue of the ${props.domain} consumer function; a dead-letter queue of its own would only move the same messages again.`,
    });
    this.consumer = new DomainFunction(this, 'Consumer', {
      domain: props.domain,
      kind: 'consumer',
      platform: props.platform,
      ...(props.capabilities ? { capabilities: props.capabilities } : {}),
      timeout: props.timeout ?? Duration.seconds(30),
      deadLetterQueue: this.failures,
      ...(props.functionsDir ? { functionsDir: props.functionsDir } : {}),
    });
    this.consumer.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6) });
    props.alerts?.alarmOnDeadLetters(this, 'FailuresAlarm', this.failures, `the ${props.domain} consumer`);

    for (const rule of props.rules) {
      if (rule.consumer.domain !== props.domain) throw new Error(`Rule ${rule.name} is consumed by ${rule.consumer.domain}, not ${props.domain}`);
      const deadLetterQueue = new sqs.Queue(this, `${rule.name}DeadLetters`, deadLetterQueueProps);
      Validations.of(deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is the dead-letter queue of EventBridge rule ${rule.name}; a dead-letter queue of its own would only move the same messages again.`,
      });
      const eventRule = new events.Rule(this, rule.name, {
        eventBus: props.platform.bus,
        description: `Rampart: ${rule.eventTypes.join(', ')} → ${props.domain} consumer`,
        eventPattern: {
          source: [...new Set(rule.eventTypes.map((type) => EventCatalogue[type].source))],
          detailType: [...rule.eventTypes],
        },
      });
      eventRule.addTarget(
        new targets.LambdaFunction(this.consumer.function, {
          deadLetterQueue,
          retryAttempts: props.retryAttempts ?? 8,
          maxEventAge: Duration.hours(24),
        }),
      );
      this.rules.push(eventRule);
      this.deadLetterQueues.push(deadLetterQueue);
      props.alerts?.alarmOnDeadLetters(this, `${rule.name}DeadLettersAlarm`, deadLetterQueue, `delivering ${rule.eventTypes.join(', ')} to the ${props.domain} consumer`);
    }
  }
}
