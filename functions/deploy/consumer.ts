import type { Context } from 'aws-lambda';
import { mintOrgScope } from '../kernel/auth/org-scope';
import { domainEvent, EventCatalogue } from '../kernel/events/catalogue';
import type { DeliveredEvent } from '../kernel/events/event-bus';
import { OrgKeyRing } from '../kernel/keys/org-keys';
import { bootDomain } from '../kernel/platform/boot';
import { platform } from '../kernel/platform/platform';
import { resealOrgValues } from './reseal';

const logger = bootDomain('deploy');

/** Stop starting pages this long before Lambda's timeout, and ask for a continuation instead. */
const SAFETY_MARGIN_MS = 60_000;

// One ring per instance: unwrapped organization keys are cached across invocations (bounded, TTL).
let ring: OrgKeyRing | undefined;
const keyRing = () => (ring ??= new OrgKeyRing(platform().keys));

/**
 * The deploy path's event consumer. `org.key.reseal_requested`: re-seal the organization's values
 * under the new key version; if the invocation runs out of time first, it requests its own
 * continuation (the progress is recorded, so the next one resumes where this one stopped). A
 * failure is thrown: EventBridge retries it, then hands the event to the rule's dead-letter queue.
 */
export async function handler(event: DeliveredEvent, context?: Context): Promise<void> {
  if (context) logger.addContext(context);
  if (event['detail-type'] !== 'org.key.reseal_requested') {
    logger.warn('Ignored an event this consumer has no rule for', { type: event['detail-type'] });
    return;
  }
  const detail = EventCatalogue['org.key.reseal_requested'].detail.parse(event.detail);
  const { table, audit, events } = platform();
  // The event names the organization it is for: this job acts for the platform, keyed by it.
  const scope = mintOrgScope(detail.orgId);
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS : undefined;
  try {
    const outcome = await resealOrgValues({ table, ring: keyRing(), audit, logger }, scope, detail.keyVersion, deadline === undefined ? {} : { deadline });
    logger.info('Re-seal pass ended', { orgId: detail.orgId, keyVersion: detail.keyVersion, outcome });
    if (outcome === 'paused') await events.publish([domainEvent('org.key.reseal_requested', detail)]);
  } catch (error) {
    logger.error('Re-seal failed', { error, orgId: detail.orgId, keyVersion: detail.keyVersion });
    throw error;
  }
}
