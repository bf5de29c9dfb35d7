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

function hexId(prefix: string, article: string, noun: string, bytes = 16): IdType {
  const pattern = new RegExp(`^${prefix}[0-9a-f]{${bytes * 2}}$`);
  return {
    prefix,
    pattern,
    schema: z.string().regex(pattern, `Not ${article} ${noun} id.`),
    generate: () => `${prefix}${randomBytes(bytes).toString('hex')}`,
    is: (value: unknown): value is string => typeof value === 'string' && pattern.test(value),
  };
}

/** An id whose random part is base64url (16 characters for 12 bytes): public, but not a hex id. */
function base64urlId(prefix: string, article: string, noun: string, bytes: number): IdType {
  const pattern = new RegExp(`^${prefix}[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`);
  return {
    prefix,
    pattern,
    schema: z.string().regex(pattern, `Not ${article} ${noun} id.`),
    generate: () => `${prefix}${randomBytes(bytes).toString('base64url')}`,
    is: (value: unknown): value is string => typeof value === 'string' && pattern.test(value),
  };
}

export const Ids = {
  org: hexId('o_', 'an', 'organization'),
  user: hexId('u_', 'a', 'user'),
  session: hexId('s_', 'a', 'session'),
  invitation: hexId('inv_', 'an', 'invitation'),
  project: hexId('p_', 'a', 'project'),
  service: hexId('svc_', 'a', 'service'),
  /** The public half of an API key (`rmp_<keyId>_<secret>`): 80 bits, no prefix (the key has one). */
  apiKey: hexId('', 'an', 'API key', 10),
  deployment: hexId('dep_', 'a', 'deployment'),
  build: hexId('bld_', 'a', 'build'),
  webhook: hexId('wh_', 'a', 'webhook'),
  /** An access-token signing key (`kid`): public, it is in every token header and the JWKS. */
  signingKey: base64urlId('k_', 'a', 'signing key', 12),
} as const satisfies Record<string, IdType>;

export type IdKind = keyof typeof Ids;
