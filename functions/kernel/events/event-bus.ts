import type { DomainEvent } from './catalogue';

/** The events port: EventBridge in AWS, an in-process bus locally. */
export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
}

/** The EventBridge envelope both buses deliver to consumers (the `aws.events` event shape). */
export interface DeliveredEvent<D = unknown> {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: D;
}
