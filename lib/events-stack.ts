import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { EventRules, type EventRule } from '../functions/kernel/events/rules';
import { consumerCapabilitiesOf, DomainCapabilities, type DomainCapabilityMap } from './capabilities';
import { EventConsumer } from './constructs/event-consumer';
import { OperatorAlerts } from './constructs/operator-alerts';
import type { RampartTable } from './constructs/rampart-table';
import type { RootKey } from './constructs/root-key';
import type { MailSender } from './mail-sender';

export interface EventsStackProps extends StackProps {
  readonly stage: string;
  readonly table: RampartTable;
  readonly rootKey: RootKey;
  /** The PII key: every function is told it (`RAMPART_PII_KEY_ARN`); only capabilities grant its use. */
  readonly piiKey: RootKey;
  readonly version: string;
  /** The SES identity and From address of outgoing mail. */
  readonly mail: MailSender;
  /** The web app's public URL, which links in mail start with. */
  readonly appUrl: string;
  /**
   * What each domain's consumer may do beyond the platform baseline.
   * @default DomainCapabilities (lib/capabilities.ts)
   */
  readonly capabilities?: DomainCapabilityMap;
  /**
   * Which consumer receives which events.
   * @default EventRules (functions/kernel/events/rules.ts)
   */
  readonly rules?: readonly EventRule[];
  /**
   * How long the archive keeps every event published on the bus (for replay).
   * @default Duration.days(365)
   */
  readonly archiveRetention?: Duration;
  /**
   * Directory holding `<domain>/consumer.ts`.
   * @default the repository's functions/ directory
   */
  readonly functionsDir?: string;
  /**
   * An address subscribed to the operator alerts topic (context `alertEmail`).
   * @default none (subscribe to the `rampart-<stage>-alerts` topic after deploying)
   */
  readonly alertEmail?: string;
}

/**
 * Consumers whose deliveries run longer than the default 30 s: the deploy path re-seals an
 * organization's values page by page and asks for its own continuation a minute before this ends.
 */
export const ConsumerTimeouts: Readonly<Record<string, Duration>> = { deploy: Duration.minutes(5) };

/**
 * The custom event bus, its archive, one consumer (function, rules, dead-letter queues) per domain,
 * and the operator alerts topic every dead-letter alarm of the deployment publishes to.
 */
export class EventsStack extends Stack {
  readonly bus: events.EventBus;
  readonly consumers: EventConsumer[] = [];
  readonly alerts: OperatorAlerts;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `rampart-${props.stage}` });
    this.bus.archive('Archive', {
      description: `Every event on rampart-${props.stage}, for replay`,
      eventPattern: { account: [this.account] },
      retention: props.archiveRetention ?? Duration.days(365),
    });

    this.alerts = new OperatorAlerts(this, 'Alerts', { topicName: `rampart-${props.stage}-alerts`, ...(props.alertEmail ? { email: props.alertEmail } : {}) });

    const platform = { table: props.table, rootKey: props.rootKey, piiKey: props.piiKey, bus: this.bus, version: props.version, mail: props.mail, appUrl: props.appUrl };
    const byDomain = new Map<string, EventRule[]>();
    for (const rule of props.rules ?? EventRules) {
      byDomain.set(rule.consumer.domain, [...(byDomain.get(rule.consumer.domain) ?? []), rule]);
    }
    for (const [domain, rules] of byDomain) {
      this.consumers.push(
        new EventConsumer(this, `${domain}Consumer`, {
          domain,
          rules,
          platform,
          capabilities: consumerCapabilitiesOf(domain, props.capabilities ?? DomainCapabilities),
          ...(Object.hasOwn(ConsumerTimeouts, domain) ? { timeout: ConsumerTimeouts[domain] } : {}),
          alerts: this.alerts,
          ...(props.functionsDir ? { functionsDir: props.functionsDir } : {}),
        }),
      );
    }
  }
}
