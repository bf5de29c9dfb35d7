import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EventCatalogue } from '../../functions/kernel/events/catalogue';
import type { EventRule } from '../../functions/kernel/events/rules';
import type { Capability } from '../capabilities';
import { DomainFunction, type PlatformResources } from './domain-function';

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
}

/**
 * A domain's event consumer: its `consumer.ts` function (the same construct, role shape and grants
 * as the API functions) and one EventBridge rule per `EventRule`, each with an encrypted,
 * TLS-only dead-letter queue for events that could not be delivered.
 */
export class EventConsumer extends Construct {
  readonly consumer: DomainFunction;
  readonly rules: events.Rule[] = [];
  readonly deadLetterQueues: sqs.Queue[] = [];

  constructor(scope: Construct, id: string, props: EventConsumerProps) {
    super(scope, id);
    this.consumer = new DomainFunction(this, 'Consumer', {
      domain: props.domain,
      kind: 'consumer',
      platform: props.platform,
      ...(props.capabilities ? { capabilities: props.capabilities } : {}),
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.functionsDir ? { functionsDir: props.functionsDir } : {}),
    });

    for (const rule of props.rules) {
      if (rule.consumer.domain !== props.domain) throw new Error(`Rule ${rule.name} is consumed by ${rule.consumer.domain}, not ${props.domain}`);
      const deadLetterQueue = new sqs.Queue(this, `${rule.name}DeadLetters`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
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
    }
  }
}
