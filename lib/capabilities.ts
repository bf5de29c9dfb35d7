import type { AnyDomain } from '../functions/kernel/domains';
import { KeyPurposes } from '../functions/kernel/keys/purposes';

/**
 * What a domain's functions may do beyond what every function gets (the table, the root key, the
 * bus, its logs and traces). A capability is granted to a domain's API function and its event
 * consumer alike, unless `ConsumerCapabilities` gives the consumer less; a domain not listed gets none.
 */
export const Capabilities = ['sendMail', 'openIdentitySecrets', 'openOrgKeys', 'openUserPii', 'readUserPii', 'openInvitationPii'] as const;
export type Capability = (typeof Capabilities)[number];

export type DomainCapabilityMap = Readonly<Partial<Record<AnyDomain, readonly Capability[]>>>;

/**
 * The reviewed map: identity sends mail (verification, password reset, security notices) and orgs
 * sends invitations, each only its own templates (test/infra/mail.test.ts finds every domain whose
 * code sends mail and checks it holds `sendMail`); only identity unwraps identity secrets (signing
 * keys) and users' data keys on the PII key; identity and orgs use the email index key (PII key)
 * to hash addresses.
 * Adding a domain here is a permission change and is reviewed as one.
 */
export const DomainCapabilities: DomainCapabilityMap = {
  // Identity signs tokens (root key: signing keys only) and holds people's data (PII key: user keys only).
  identity: ['sendMail', 'openIdentitySecrets', 'openUserPii'],
  // Organizations mail invitations, seal an invitee's address under the invitation's own data key
  // (PII key), and open it to list pending invitations: that purpose only.
  orgs: ['sendMail', 'openInvitationPii'],
  // The deploy path: the only code that opens environment values, so the only holder of org keys.
  deploy: ['openOrgKeys'],
};

/** The root-key purposes each capability may unwrap. Only `openOrgKeys` unwraps organization keys. */
export const UnwrapPurposes: Readonly<Partial<Record<Capability, readonly string[]>>> = {
  // TOTP secrets moved under each user's data key (PII key): identity no longer unwraps `totp-secret`.
  openIdentitySecrets: [KeyPurposes.accessTokenSigningKey],
  openOrgKeys: [KeyPurposes.orgKey],
};

/**
 * The PII-key purposes each capability may wrap and unwrap. Nothing else touches the PII key: a
 * function without one of these has no statement on it at all. Both capabilities also hash
 * addresses (`email-index`: finding an account by address, comparing an invitee with an account),
 * and either may be the first to use the index, which creates its key (wrap) before it unwraps it.
 */
export const PiiPurposes: Readonly<Partial<Record<Capability, readonly string[]>>> = {
  openUserPii: [KeyPurposes.userPii, KeyPurposes.emailIndex],
  openInvitationPii: [KeyPurposes.invitationPii, KeyPurposes.emailIndex],
};

/**
 * PII-key purposes a capability may unwrap but never wrap under. `readUserPii` opens users' data
 * keys that exist already (a signup's, made on the response path, and the accounts it changes): no
 * new keys, no address hashing.
 */
export const PiiUnwrapOnlyPurposes: Readonly<Partial<Record<Capability, readonly string[]>>> = {
  readUserPii: [KeyPurposes.userPii],
};

/**
 * Consumers that need less than their domain's API function. Identity's consumer carries out what
 * public requests deferred (docs/identity.md, "Equal work on public paths"): it mails and opens
 * users' data, but signs no tokens, makes no data keys and hashes no addresses.
 */
export const ConsumerCapabilities: DomainCapabilityMap = {
  identity: ['sendMail', 'readUserPii'],
};

/** The capabilities of a domain's event consumer: `ConsumerCapabilities` where it names the domain, else the domain's. */
export function consumerCapabilitiesOf(domain: string, map: DomainCapabilityMap = DomainCapabilities): readonly Capability[] {
  return Object.hasOwn(ConsumerCapabilities, domain) && map === DomainCapabilities ? capabilitiesOf(domain, ConsumerCapabilities) : capabilitiesOf(domain, map);
}

/** The capabilities of a domain's functions (none for a domain the map does not name). */
export function capabilitiesOf(domain: string, map: DomainCapabilityMap = DomainCapabilities): readonly Capability[] {
  return Object.hasOwn(map, domain) ? (map[domain as AnyDomain] ?? []) : [];
}
