import { randomUUID } from 'node:crypto';
import { EventCatalogue, type DomainEvent } from '../functions/kernel/events/catalogue';
import type { DeliveredEvent, EventPublisher } from '../functions/kernel/events/event-bus';
import { EventRules, type EventRule } from '../functions/kernel/events/rules';

export type EventConsumer = (event: DeliveredEvent) => Promise<void>;
export type ConsumerLoader = (domain: string) => Promise<EventConsumer>;

/** Loads `functions/<domain>/consumer.ts`, the same module the CDK rule's Lambda target runs. */
export const loadConsumerModule: ConsumerLoader = async (domain) => {
  const module = (await import(`../functions/${domain}/consumer.ts`)) as { handler: EventConsumer };
  return module.handler;
};

export interface LocalEventBusOptions {
  readonly rules?: readonly EventRule[];
  readonly loadConsumer?: ConsumerLoader;
  readonly onDeliveryError?: (error: unknown, rule: EventRule, event: DeliveredEvent) => void;
}

/**
 * The events port for `npm start` and tests, standing in for EventBridge: validates each event
 * against the catalogue as PutEvents would be fed, then delivers it, in the EventBridge envelope,
 * to every consumer whose rule matches, asynchronously like EventBridge (the publisher does not
 * wait for consumers). `drain()` waits for deliveries in flight, for tests and shutdown.
 */
export class LocalEventBus implements EventPublisher {
  readonly #rules: readonly EventRule[];
  readonly #loadConsumer: ConsumerLoader;
  readonly #onDeliveryError: NonNullable<LocalEventBusOptions['onDeliveryError']>;
  readonly #inFlight = new Set<Promise<void>>();
  /** Every event published, newest last: lets tests and the canary check what left the process. */
  readonly published: DeliveredEvent[] = [];

  constructor(options: LocalEventBusOptions = {}) {
    this.#rules = options.rules ?? EventRules;
    this.#loadConsumer = options.loadConsumer ?? loadConsumerModule;
    this.#onDeliveryError = options.onDeliveryError ?? ((error) => console.error('local event bus: delivery failed', error));
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    const envelopes = events.map((e): DeliveredEvent => ({
      version: '0',
      id: randomUUID(),
      'detail-type': e.type,
      source: EventCatalogue[e.type].source,
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'local',
      resources: [],
      // Serialised and parsed, as it would be on the wire.
      detail: JSON.parse(JSON.stringify(EventCatalogue[e.type].detail.parse(e.detail))),
    }));
    for (const envelope of envelopes) {
      this.published.push(envelope);
      for (const rule of this.#rules) {
        if (!rule.eventTypes.includes(envelope['detail-type'] as DomainEvent['type'])) continue;
        const delivery = this.#deliver(rule, envelope);
        this.#inFlight.add(delivery);
        void delivery.finally(() => this.#inFlight.delete(delivery));
      }
    }
  }

  async #deliver(rule: EventRule, event: DeliveredEvent): Promise<void> {
    await Promise.resolve();
    try {
      const consumer = await this.#loadConsumer(rule.consumer.domain);
      await consumer(event);
    } catch (error) {
      this.#onDeliveryError(error, rule, event);
    }
  }

  /** Resolves when every delivery started so far has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
