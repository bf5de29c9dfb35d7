import type { EventType } from './catalogue';

/**
 * Which consumer receives which events. The CDK events stack turns each rule into an EventBridge
 * rule on the custom bus; the local bus delivers to the same consumer modules in process.
 * A consumer is `functions/<domain>/consumer.ts`, exporting `handler(event: EventBridgeEvent)`.
 */
export interface EventRule {
  /** Stable name: becomes the EventBridge rule's id. */
  readonly name: string;
  readonly eventTypes: readonly EventType[];
  readonly consumer: { readonly domain: string };
}

export const EventRules: readonly EventRule[] = [
  // Only the deploy path holds organization keys, so only it can re-seal values after a rotation.
  { name: 'OrgKeyResealToDeploy', eventTypes: ['org.key.reseal_requested'], consumer: { domain: 'deploy' } },
  // What public identity requests leave off their response path, so that they take the same time for every address.
  {
    name: 'IdentityDeferredWork',
    eventTypes: ['identity.signup_requested', 'identity.login_failed', 'identity.verification_requested', 'identity.password_reset_requested'],
    consumer: { domain: 'identity' },
  },
];
