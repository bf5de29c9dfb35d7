import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { domainEvent } from './catalogue';
import { EventBridgePublisher } from './eventbridge-publisher';

const eventBridge = mockClient(EventBridgeClient);
const event = (seq: number) => domainEvent('audit.recorded', { scope: 'org:o_1', seq, action: 'org.created', outcome: 'success', hash: 'b'.repeat(64) });

describe('EventBridgePublisher', () => {
  afterEach(() => eventBridge.reset());

  it('puts events on the custom bus with source and detail-type from the catalogue, ten per call', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = new EventBridgePublisher({ busName: 'rampart-prod', client: new EventBridgeClient({ region: 'eu-west-1' }) });
    await publisher.publish(Array.from({ length: 23 }, (_, i) => event(i + 1)));
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    const first = calls[0]!.args[0].input.Entries![0]!;
    expect(first).toMatchObject({ EventBusName: 'rampart-prod', Source: 'rampart.audit', DetailType: 'audit.recorded' });
    expect(JSON.parse(first.Detail!)).toMatchObject({ scope: 'org:o_1', seq: 1 });
  });

  it('throws when EventBridge refuses an entry, rather than losing it silently', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const publisher = new EventBridgePublisher({ busName: 'rampart-prod', client: new EventBridgeClient({ region: 'eu-west-1' }) });
    await expect(publisher.publish([event(1)])).rejects.toThrow(/InternalFailure/);
  });
});
