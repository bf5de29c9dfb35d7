import { describe, expect, it } from 'vitest';
import { domainEvent } from '../functions/kernel/events/catalogue';
import type { DeliveredEvent } from '../functions/kernel/events/event-bus';
import type { EventRule } from '../functions/kernel/events/rules';
import { LocalEventBus } from './local-event-bus';

const detail = { scope: 'org:o_1', seq: 1, action: 'org.created', outcome: 'success', hash: 'a'.repeat(64) } as const;

describe('LocalEventBus', () => {
  it('delivers each event, in the EventBridge envelope, to the consumers whose rule names its type', async () => {
    const received: Record<string, DeliveredEvent[]> = { audit: [], other: [] };
    const rules: EventRule[] = [
      { name: 'AuditToNotifier', eventTypes: ['audit.recorded'], consumer: { domain: 'audit' } },
      { name: 'Unrelated', eventTypes: [], consumer: { domain: 'other' } },
    ];
    const bus = new LocalEventBus({ rules, loadConsumer: async (domain) => async (event) => void received[domain]!.push(event) });
    await bus.publish([domainEvent('audit.recorded', detail)]);
    await bus.drain();
    expect(received.other).toEqual([]);
    expect(received.audit).toHaveLength(1);
    expect(received.audit![0]).toMatchObject({ version: '0', 'detail-type': 'audit.recorded', source: 'rampart.audit', detail });
    expect(bus.published).toHaveLength(1);
  });

  it('does not make the publisher wait for, or fail with, a consumer', async () => {
    const failures: unknown[] = [];
    const rules: EventRule[] = [{ name: 'Failing', eventTypes: ['audit.recorded'], consumer: { domain: 'audit' } }];
    const bus = new LocalEventBus({
      rules,
      loadConsumer: async () => async () => {
        throw new Error('consumer down');
      },
      onDeliveryError: (error) => failures.push(error),
    });
    await expect(bus.publish([domainEvent('audit.recorded', detail)])).resolves.toBeUndefined();
    await bus.drain();
    expect(failures).toHaveLength(1);
  });

  it('refuses an event whose detail does not match the catalogue (no extra fields can ride along)', async () => {
    const bus = new LocalEventBus({ rules: [] });
    await expect(bus.publish([{ type: 'audit.recorded', detail: { ...detail, password: 'x' } as typeof detail }])).rejects.toThrow();
    expect(() => domainEvent('audit.recorded', { ...detail, seq: 0 })).toThrow();
    expect(bus.published).toEqual([]);
  });
});
