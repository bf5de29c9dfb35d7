import type { AnyDomain } from '../functions/kernel/domains';
import { KeyPurposes } from '../functions/kernel/keys/purposes';

/**
 * What a domain's functions may do beyond what every function gets (the table, the root key, the
 * bus, its logs and traces). A capability is granted to a domain's API function and its event
 * consumer alike; a domain not listed gets none.
 */
export const Capabilities = ['sendMail', 'openIdentitySecrets', 'openOrgKeys', 'openUserPii', 'openInvitationPii'] as const;
export type Capability = (typeof Capabilities)[number];

export type DomainCapabilityMap = Readonly<Partial<Record<AnyDomain, readonly Capability[]>>>;

/**
 * The reviewed map: only identity sends mail (verification, password reset, sign-in notices) and
 * unwraps identity secrets (signing keys) and users' data keys on the PII key; identity and orgs
 * use the email index key (PII key) to hash addresses.
 * Adding a domain here is a permission change and is reviewed as one.
 */
export const DomainCapabilities: DomainCapabilityMap = {
  // Identity signs tokens (root key: signing keys only) and holds people's data (PII key: user keys only).
  identity: ['sendMail', 'openIdentitySecrets', 'openUserPii'],
  // Organizations seal an invitee's address under the invitation's own data key (PII key), and
  // open it to list pending invitations: that purpose only.
  orgs: ['openInvitationPii'],
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

/** The capabilities of a domain's functions (none for a domain the map does not name). */
export function capabilitiesOf(domain: string, map: DomainCapabilityMap = DomainCapabilities): readonly Capability[] {
  return Object.hasOwn(map, domain) ? (map[domain as AnyDomain] ?? []) : [];
}
