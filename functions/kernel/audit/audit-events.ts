import { domainEvent } from '../events/catalogue';
import type { EventPublisher } from '../events/event-bus';
import type { AuditRecord } from './record';

/**
 * Announces a committed audit record on the event bus (ids and facts only, as the catalogue allows).
 * The record is already durable when this runs, so a publishing failure is reported, not thrown:
 * failing the request would invite a retry that repeats a change that already happened.
 */
export function announceAuditRecords(events: EventPublisher, onFailure: (error: unknown) => void) {
  return async (record: AuditRecord): Promise<void> => {
    try {
      await events.publish([
        domainEvent('audit.recorded', {
          scope: record.scope,
          seq: record.seq,
          action: record.action,
          outcome: record.outcome,
          hash: record.hash,
          ...(record.target ? { targetId: record.target.id } : {}),
        }),
      ]);
    } catch (error) {
      onFailure(error);
    }
  };
}
