import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Principal } from '../auth/principal';
import { principalId } from '../auth/principal';
import { ConfigurationError } from '../errors';

/** Bucket names are part of the key, before the subject's hash: short, lower case, no separators. */
const BUCKET_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * The bucket id (a key part) for a named bucket and a subject. The subject's parts are hashed
 * (SHA-256 of their JSON array, so `["a", "bc"]` and `["ab", "c"]` differ), which keeps IP addresses,
 * emails and ids out of keys and logs and within the key-part alphabet.
 */
export function bucketId(name: string, subject: readonly string[]): string {
  if (!BUCKET_NAME.test(name)) throw new ConfigurationError(`rate-limit bucket name ${JSON.stringify(name)} must match ${BUCKET_NAME}`);
  if (subject.length === 0) throw new ConfigurationError(`rate-limit bucket ${name}: the subject is empty`);
  return `${name}:${createHash('sha256').update(JSON.stringify(subject)).digest('hex')}`;
}

/**
 * The address a per-IP limit counts. IPv4 as is. IPv6 by its /64 prefix: one subscriber usually
 * holds a whole /64, and counting single addresses would hand an attacker 2^64 buckets. An IPv6
 * address carrying an IPv4 address (mapped `::ffff:a.b.c.d`, NAT64) counts as that IPv4 address.
 */
export function clientAddress(sourceIp: string): string {
  const address = sourceIp.trim().toLowerCase().replace(/%.*$/, '');
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  const embedded = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (embedded && isIPv4(embedded[1]!)) return embedded[1]!;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const hextets = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${hextets
    .slice(0, 4)
    .map((h) => parseInt(h, 16).toString(16))
    .join(':')}::/64`;
}

/** Subject parts naming a client address (tagged, so an address never equals a principal id). */
export const ipSubject = (sourceIp: string): string[] => ['ip', clientAddress(sourceIp)];

/** Subject parts naming a principal by type and id. */
export const principalSubject = (principal: Principal): string[] => ['principal', principal.type, principalId(principal)];

/** Subject parts naming the target of an action: the route's path parameters, in name order. */
export const targetSubject = (pathParameters: Readonly<Record<string, string | undefined>> | null | undefined): string[] => [
  'target',
  ...Object.entries(pathParameters ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`),
];
