import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Every id type of Rampart, once: how it is generated and the schema that accepts it. Ids are
 * random (128 bits unless said otherwise), lower-case hex after a prefix that names the type, so an
 * id in a log line, an audit record or a path says what it is, and one type never passes for
 * another (`s_` is a session, so services are `svc_`).
 */

export interface IdType {
  readonly prefix: string;
  readonly pattern: RegExp;
  /** Accepts exactly the ids `generate` makes; the message names the type. */
  readonly schema: z.ZodString;
  generate(): string;
  is(value: unknown): value is string;
}

/** An id type: `prefix` and a random part of `bytes` bytes, written in hex or in base64url. */
function idType(prefix: string, noun: string, bytes: number, encoding: 'hex' | 'base64url' = 'hex'): IdType {
  const random = encoding === 'hex' ? `[0-9a-f]{${bytes * 2}}` : `[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}`;
  const pattern = new RegExp(`^${prefix}${random}$`);
  return {
    prefix,
    pattern,
    schema: z.string().regex(pattern, `Not ${noun} id.`),
    generate: () => `${prefix}${randomBytes(bytes).toString(encoding)}`,
    is: (value: unknown): value is string => typeof value === 'string' && pattern.test(value),
  };
}

/**
 * An id that sorts by creation time: `prefix`, 12 hex digits of the creation time in milliseconds,
 * then 20 random hex digits (80 bits). Records keyed by it list newest first without a counter;
 * the time it shows is the record's `createdAt`, which its owner sees anyway.
 */
function timeOrderedIdType(prefix: string, noun: string): IdType & { generate(now?: number): string } {
  const base = idType(prefix, noun, 16);
  return {
    ...base,
    generate: (now: number = Date.now()) => `${prefix}${Math.floor(now).toString(16).padStart(12, '0').slice(-12)}${randomBytes(10).toString('hex')}`,
  };
}

export const Ids = {
  org: idType('o_', 'an organization', 16),
  user: idType('u_', 'a user', 16),
  session: idType('s_', 'a session', 16),
  invitation: idType('inv_', 'an invitation', 16),
  project: idType('p_', 'a project', 16),
  service: idType('svc_', 'a service', 16),
  /** The public half of an API key (`rmp_<keyId>_<secret>`): 80 bits, no prefix (the key has one). */
  apiKey: idType('', 'an API key', 10),
  /** Time-ordered: a service's deployments list newest first by id. */
  deployment: timeOrderedIdType('dep_', 'a deployment'),
  build: idType('bld_', 'a build', 16),
  webhook: idType('wh_', 'a webhook', 16),
  /** Work a public identity request leaves for the identity consumer (functions/identity/deferred-work.ts). */
  deferredWork: idType('w_', 'a work item', 16),
  /** An access-token signing key (`kid`): public, it is in every token header and the JWKS. */
  signingKey: idType('k_', 'a signing key', 12, 'base64url'),
} as const satisfies Record<string, IdType>;

export type IdKind = keyof typeof Ids;
