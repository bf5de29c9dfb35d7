import type { Context } from 'aws-lambda';
import { EventCatalogue } from '../kernel/events/catalogue';
import type { DeliveredEvent } from '../kernel/events/event-bus';
import { bootDomain } from '../kernel/platform/boot';
import { platform } from '../kernel/platform/platform';
import { DeferredWorkEvents, type DeferredWorkEvent } from './deferred-work';
import { runDeferredWork } from './deferred-work-runner';

const logger = bootDomain('identity');

const handled = new Set<string>(Object.values(DeferredWorkEvents));
const isDeferredWorkEvent = (type: string): type is DeferredWorkEvent => handled.has(type);

/**
 * The identity consumer: the work public identity requests left off their response path (a
 * signup's account, a failed login's audit record, verification and reset mail). It holds the
 * identity function's capabilities, but not argon2: passwords were hashed on the response path.
 * A failure is thrown: EventBridge and Lambda retry it, then hand it to the dead-letter queue.
 */
export async function handler(event: DeliveredEvent, context?: Context): Promise<void> {
  if (context) logger.addContext(context);
  const type = event['detail-type'];
  if (!isDeferredWorkEvent(type)) {
    logger.warn('Ignored an event this consumer has no rule for', { type });
    return;
  }
  const { workId } = EventCatalogue[type].detail.parse(event.detail);
  try {
    const outcome = await runDeferredWork({ platform: platform(), logger }, type, workId);
    logger.info('Deferred work ran', { type, workId, outcome });
  } catch (error) {
    logger.error('Deferred work failed', { error, type, workId });
    throw error;
  }
}
