import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EventCatalogue, type DomainEvent } from './catalogue';
import type { EventPublisher } from './event-bus';

/** PutEvents takes at most 10 entries a call. */
const MAX_ENTRIES = 10;

export interface EventBridgePublisherOptions {
  readonly busName: string;
  readonly client?: EventBridgeClient;
}

/** The events port on Amazon EventBridge: one custom bus, detail-type = event type. */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;

  constructor(private readonly options: EventBridgePublisherOptions) {
    this.#client = options.client ?? new EventBridgeClient({});
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES) {
      const batch = events.slice(i, i + MAX_ENTRIES);
      const out = await this.#client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            EventBusName: this.options.busName,
            Source: EventCatalogue[e.type].source,
            DetailType: e.type,
            Detail: JSON.stringify(EventCatalogue[e.type].detail.parse(e.detail)),
          })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).map((r) => r.ErrorCode).filter(Boolean);
        throw new Error(`EventBridge refused ${out.FailedEntryCount} event(s): ${codes.join(', ')}`);
      }
    }
  }
}
