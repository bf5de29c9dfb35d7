import { z } from 'zod';

/**
 * What a service is: the validated description a deployment is built from. Everything a tenant
 * controls that later reaches ECS, DNS or the network (names, images, sizes, ports, egress) is
 * checked here, before it is stored.
 */

/** A DNS label (RFC 1123, lower case): names become host names, so they must be valid ones. */
export const DnsLabel = z
  .string()
  .min(1, 'Must not be empty.')
  .max(63, 'Must be at most 63 characters (a DNS label).')
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)?$/, 'Use lowercase letters, digits and hyphens, starting and ending with a letter or digit.');

export const ServiceTypes = ['web', 'database', 'cache', 'worker'] as const;
export type ServiceType = (typeof ServiceTypes)[number];

export const EgressModes = ['none', 'internet'] as const;

/**
 * The task sizes Fargate accepts: memory (MiB) by CPU units (AWS ECS developer guide, "Task CPU
 * and memory"). Any other pair is refused by RegisterTaskDefinition, so we refuse it first.
 */
const range = (from: number, to: number, step: number): number[] => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
export const FargateMemoryByCpu: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};
export const FargateCpus = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;
/** Every memory size of some CPU size: the field's allowed values (which pairs go together is checked on the spec). */
export const FargateMemories = [...new Set(Object.values(FargateMemoryByCpu).flat())].sort((a, b) => a - b) as [number, ...number[]];

const describeMemory = (cpu: number): string => {
  const options = FargateMemoryByCpu[cpu]!;
  if (options.length <= 3) return options.join(', ');
  return `${options[0]}–${options.at(-1)} in steps of ${options[1]! - options[0]!}`;
};

// registry[:port]/ then lowercase path components, then a tag, a sha256 digest, or both.
const REGISTRY = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?/)`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
const DIGEST = String.raw`@sha256:[a-f0-9]{64}`;
const IMAGE = new RegExp(`^${REGISTRY}?${COMPONENT}(?:/${COMPONENT})*(?:${TAG}${DIGEST}|${TAG}|${DIGEST})$`);

/** An OCI image reference pinned by tag or digest: an implicit `latest` is never guessed. */
export const ImageReference = z
  .string()
  .max(512, 'Must be at most 512 characters.')
  .regex(IMAGE, 'Must be an image reference with a tag or digest, e.g. ghcr.io/acme/api:1.4.2 or acme/api@sha256:<64 hex digits>.');

export const GitHubSource = z.strictObject({
  repo: z
    .string()
    .max(140)
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/, 'Must be a GitHub repository as owner/name.'),
  branch: z
    .string()
    .min(1, 'Must not be empty.')
    .max(255, 'Must be at most 255 characters.')
    .regex(/^(?!-)(?!\/)(?!.*\/\/)(?!.*\.\.)(?!.*\/$)(?!.*\.lock$)(?!.*@\{)[A-Za-z0-9._/-]+$/, 'Must be a valid git branch name.'),
  path: z
    .string()
    .max(1024, 'Must be at most 1024 characters.')
    .regex(/^(?!\/)(?!(?:.*\/)?\.\.(?:\/|$))[A-Za-z0-9._/-]+$/, 'Must be a relative path inside the repository (no leading / and no ..).')
    .optional(),
});

/** Where the service's code comes from: exactly one of a prebuilt image or a GitHub repository. */
export const ServiceSource = z
  .strictObject({ image: ImageReference.optional(), github: GitHubSource.optional() })
  .refine((s) => (s.image === undefined) !== (s.github === undefined), { message: 'Give exactly one of image or github.' });

/**
 * The lowest port a service may listen on. A service's container runs as a non-root user with
 * every Linux capability dropped, and binding a port below 1024 needs root or CAP_NET_BIND_SERVICE
 * (the kernel's default `net.ipv4.ip_unprivileged_port_start`): a container told to listen on 80
 * would fail to start, so such a port is refused here, before anything is stored or deployed.
 */
export const UNPRIVILEGED_PORT_MIN = 1024;
const PRIVILEGED_PORT_REASON =
  'Ports below 1024 are refused: the container runs as a non-root user without Linux capabilities, so it could not bind one (that needs root or CAP_NET_BIND_SERVICE); listen on a port such as 8080 instead.';
const PRIVILEGED_PORT_MESSAGE = `Must be ${UNPRIVILEGED_PORT_MIN} or higher. ${PRIVILEGED_PORT_REASON}`;

/** The fields of a spec, each checked on its own; rules between fields follow in `ServiceSpec`. */
export const serviceSpecFields = {
  name: DnsLabel,
  type: z.enum(ServiceTypes, 'Must be one of web, database, cache, worker.'),
  source: ServiceSource,
  cpu: z.literal(FargateCpus, `Must be one of ${FargateCpus.join(', ')} (CPU units).`),
  memory: z.literal(FargateMemories, `Must be a Fargate memory size in MiB (${FargateMemories[0]} to ${FargateMemories.at(-1)}; which ones depends on cpu).`),
  port: z
    .number('Must be a number.')
    .int('Must be a whole number.')
    .min(UNPRIVILEGED_PORT_MIN, PRIVILEGED_PORT_MESSAGE)
    .max(65535, 'Must be at most 65535.')
    .describe(`The TCP port the container listens on, ${UNPRIVILEGED_PORT_MIN} to 65535. ${PRIVILEGED_PORT_REASON}`),
  replicas: z.number('Must be a number.').int('Must be a whole number.').min(0, 'Must be at least 0.').max(10, 'Must be at most 10.'),
  healthCheckPath: z
    .string()
    .max(256, 'Must be at most 256 characters.')
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'Must be a URL path starting with /.'),
  egress: z.enum(EgressModes, 'Must be none or internet.'),
  public: z.boolean('Must be true or false.'),
} as const;

type SpecShape = {
  type?: ServiceType | undefined;
  cpu?: number | undefined;
  memory?: number | undefined;
  port?: number | undefined;
  healthCheckPath?: string | undefined;
  public?: boolean | undefined;
};

/** The rules between fields, reported on the field that must change. */
function checkCombinations(spec: SpecShape, ctx: z.RefinementCtx): void {
  if (spec.cpu !== undefined && spec.memory !== undefined && !FargateMemoryByCpu[spec.cpu]?.includes(spec.memory)) {
    ctx.addIssue({ code: 'custom', path: ['memory'], message: `With cpu ${spec.cpu}, memory must be ${describeMemory(spec.cpu)} (MiB).` });
  }
  if (spec.type === 'web' && spec.port === undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: 'A web service needs a port.' });
  if (spec.type !== undefined && spec.type !== 'web') {
    for (const field of ['port', 'healthCheckPath', 'public'] as const) {
      if (spec[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `Only a web service takes ${field}.` });
    }
  }
}

/** A service spec as a client sends it (POST body, and a PATCH once merged with the stored spec). */
export const ServiceSpec = z
  .strictObject({
    ...serviceSpecFields,
    replicas: serviceSpecFields.replicas.optional(),
    port: serviceSpecFields.port.optional(),
    healthCheckPath: serviceSpecFields.healthCheckPath.optional(),
    egress: serviceSpecFields.egress.optional(),
    public: serviceSpecFields.public.optional(),
  })
  .superRefine(checkCombinations);
export type ServiceSpecInput = z.output<typeof ServiceSpec>;

/** A spec with its defaults applied: what is stored and returned. */
export const ResolvedServiceSpec = z.object({
  name: z.string(),
  type: z.enum(ServiceTypes),
  source: z.object({ image: z.string().optional(), github: z.object({ repo: z.string(), branch: z.string(), path: z.string().optional() }).optional() }),
  cpu: z.number(),
  memory: z.number(),
  port: z.number().optional(),
  replicas: z.number(),
  healthCheckPath: z.string().optional(),
  egress: z.enum(EgressModes),
  public: z.boolean().optional(),
});
export type ResolvedServiceSpec = z.output<typeof ResolvedServiceSpec>;

/**
 * Applies the defaults: one replica; data stores reach nothing outside (egress `none`), other
 * services the internet; a web service is private unless asked otherwise.
 */
export function resolveServiceSpec(spec: ServiceSpecInput): ResolvedServiceSpec {
  const isDataStore = spec.type === 'database' || spec.type === 'cache';
  return {
    ...spec,
    replicas: spec.replicas ?? 1,
    egress: spec.egress ?? (isDataStore ? 'none' : 'internet'),
    ...(spec.type === 'web' ? { public: spec.public ?? false } : {}),
  };
}

/** The fields a PATCH may change (a name is fixed once created); `null` removes an optional field. */
export const ServiceSpecPatch = z.strictObject({
  type: serviceSpecFields.type.optional(),
  source: ServiceSource.optional(),
  cpu: serviceSpecFields.cpu.optional(),
  memory: serviceSpecFields.memory.optional(),
  port: serviceSpecFields.port.nullable().optional(),
  replicas: serviceSpecFields.replicas.optional(),
  healthCheckPath: serviceSpecFields.healthCheckPath.nullable().optional(),
  egress: serviceSpecFields.egress.nullable().optional(),
  public: serviceSpecFields.public.nullable().optional(),
});
export type ServiceSpecPatch = z.output<typeof ServiceSpecPatch>;

/**
 * Applies a patch (JSON merge patch, RFC 7396: a present field replaces, `null` removes) to a
 * stored spec and checks the result as a whole. A removed `egress` or `public` falls back to its
 * default for the (possibly new) type; a stored egress is kept across a type change.
 */
export function applyServicePatch(stored: ResolvedServiceSpec, patch: ServiceSpecPatch): { ok: true; spec: ResolvedServiceSpec } | { ok: false; error: z.ZodError } {
  const merged: Record<string, unknown> = { ...stored };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  // A stored default that the new type no longer accepts goes with the type change.
  if (patch.type !== undefined && patch.type !== 'web' && patch.public === undefined && stored.public === false) delete merged.public;
  const result = ServiceSpec.safeParse(merged);
  return result.success ? { ok: true, spec: resolveServiceSpec(result.data) } : { ok: false, error: result.error };
}
