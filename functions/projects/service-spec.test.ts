import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyServicePatch, DnsLabel, FargateMemoryByCpu, ImageReference, resolveServiceSpec, ServiceSpec, ServiceSpecPatch, type ResolvedServiceSpec } from './service-spec';

const web = { name: 'api', type: 'web', source: { image: 'ghcr.io/acme/api:1.4.2' }, cpu: 256, memory: 512, port: 8080 } as const;
const worker = { name: 'jobs', type: 'worker', source: { github: { repo: 'acme/jobs', branch: 'main' } }, cpu: 512, memory: 1024 } as const;

/** The paths of the issues a spec raises ('' for the spec itself). */
const issuePaths = (spec: unknown): string[] => {
  const result = ServiceSpec.safeParse(spec);
  return result.success ? [] : [...new Set(result.error.issues.map((i) => i.path.join('.')))];
};

describe('ServiceSpec', () => {
  it('accepts a web service from an image and a worker from a GitHub branch', () => {
    expect(issuePaths(web)).toEqual([]);
    expect(issuePaths(worker)).toEqual([]);
    expect(issuePaths({ ...worker, source: { github: { repo: 'acme/jobs', branch: 'release/2.x', path: 'services/jobs' } } })).toEqual([]);
  });

  it.each(['', 'API', '-api', 'api-', 'a_b', 'a.b', 'x'.repeat(64)])('refuses the name %j (not a lowercase DNS label)', (name) => {
    expect(issuePaths({ ...web, name })).toEqual(['name']);
  });

  it.each(['a', '0', 'api-2', 'x'.repeat(63)])('accepts the name %j', (name) => {
    expect(DnsLabel.safeParse(name).success).toBe(true);
  });

  it('refuses an unknown type and unknown fields', () => {
    expect(issuePaths({ ...web, type: 'lambda' })).toContain('type');
    expect(issuePaths({ ...worker, command: 'rm -rf /' })).toEqual(['']);
  });

  it.each([
    'nginx:1.27',
    'library/nginx:1.27-alpine',
    'ghcr.io/acme/api:1.4.2',
    'localhost:5000/acme/api:dev',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/api:v1',
    `acme/api@sha256:${'a'.repeat(64)}`,
    `acme/api:1.0@sha256:${'0'.repeat(64)}`,
  ])('accepts the image reference %s', (image) => {
    expect(ImageReference.safeParse(image).success).toBe(true);
  });

  it.each([
    'nginx',
    'ghcr.io/acme/api',
    'Acme/Api:1',
    'acme/api:',
    'acme/api@sha256:abc',
    `acme/api@sha512:${'a'.repeat(128)}`,
    'acme/api:1 ; curl x',
    'https://ghcr.io/acme/api:1',
  ])('refuses the image reference %j (no tag or digest, or not a reference)', (image) => {
    expect(issuePaths({ ...web, source: { image } })).toEqual(['source.image']);
  });

  it('takes exactly one source', () => {
    expect(issuePaths({ ...web, source: {} })).toEqual(['source']);
    expect(issuePaths({ ...web, source: { image: web.source.image, github: worker.source.github } })).toEqual(['source']);
  });

  it.each([
    [{ repo: 'acme', branch: 'main' }, 'source.github.repo'],
    [{ repo: 'acme/jobs/x', branch: 'main' }, 'source.github.repo'],
    [{ repo: 'acme/..', branch: 'main' }, 'source.github.repo'],
    [{ repo: 'acme/jobs', branch: '' }, 'source.github.branch'],
    [{ repo: 'acme/jobs', branch: 'a..b' }, 'source.github.branch'],
    [{ repo: 'acme/jobs', branch: '-x' }, 'source.github.branch'],
    [{ repo: 'acme/jobs', branch: 'main', path: '/etc' }, 'source.github.path'],
    [{ repo: 'acme/jobs', branch: 'main', path: 'a/../../b' }, 'source.github.path'],
  ])('refuses the GitHub source %j on %s', (github, path) => {
    expect(issuePaths({ ...worker, source: { github } })).toEqual([path]);
  });

  it('accepts every CPU and memory pair Fargate accepts, and the table matches the published one', () => {
    const count = (cpu: number) => FargateMemoryByCpu[cpu]!.length;
    expect([256, 512, 1024, 2048, 4096, 8192, 16384].map(count)).toEqual([3, 4, 7, 13, 23, 12, 12]);
    expect(FargateMemoryByCpu[8192]!.at(-1)).toBe(61440);
    expect(FargateMemoryByCpu[16384]![1]).toBe(32768 + 8192);
    for (const [cpu, memories] of Object.entries(FargateMemoryByCpu)) {
      for (const memory of memories) expect(issuePaths({ ...worker, cpu: Number(cpu), memory }), `${cpu}/${memory}`).toEqual([]);
    }
  });

  it.each([
    [256, 4096, 'memory'],
    [256, 256, 'memory'],
    [512, 1536, 'memory'],
    [8192, 18432, 'memory'],
    [16384, 30720, 'memory'],
    [300, 1024, 'cpu'],
    [1024, 2048.5, 'memory'],
  ])('refuses cpu %d with memory %d (on %s)', (cpu, memory, path) => {
    expect(issuePaths({ ...worker, cpu, memory })).toContain(path);
  });

  it('needs a port for a web service and refuses web-only fields elsewhere', () => {
    const { port: _p, ...noPort } = web;
    expect(issuePaths(noPort)).toEqual(['port']);
    expect(issuePaths({ ...worker, port: 8080 })).toEqual(['port']);
    expect(issuePaths({ ...worker, public: false })).toEqual(['public']);
    expect(issuePaths({ ...worker, healthCheckPath: '/health' })).toEqual(['healthCheckPath']);
  });

  it.each([
    [{ port: 80 }, 'port'],
    [{ port: 65536 }, 'port'],
    [{ port: '8080' }, 'port'],
    [{ replicas: 11 }, 'replicas'],
    [{ replicas: -1 }, 'replicas'],
    [{ healthCheckPath: 'health' }, 'healthCheckPath'],
    [{ healthCheckPath: '/a b' }, 'healthCheckPath'],
    [{ egress: 'vpc' }, 'egress'],
    [{ public: 'yes' }, 'public'],
  ])('refuses %j on %s', (change, path) => {
    expect(issuePaths({ ...web, ...change })).toEqual([path]);
  });
});

describe('the port of a web service', () => {
  const portIssues = (port: unknown) => {
    const result = ServiceSpec.safeParse({ ...web, port });
    return result.success ? [] : result.error.issues.filter((i) => i.path.join('.') === 'port').map((i) => i.message);
  };

  it.each([1024, 8080, 65535])('accepts %d', (port) => {
    expect(portIssues(port)).toEqual([]);
  });

  // The container runs as a non-root user without Linux capabilities: it could not bind these.
  it.each([1, 80, 443, 1023])('refuses the privileged port %d and says why', (port) => {
    const [message, ...others] = portIssues(port);
    expect(others).toEqual([]);
    expect(message).toMatch(/^Must be 1024 or higher\./);
    expect(message).toMatch(/below 1024 are refused/);
    expect(message).toMatch(/non-root/);
    expect(message).toMatch(/CAP_NET_BIND_SERVICE/);
  });

  it("accepts the README's example: NGINX's unprivileged image on ECR Public, listening on 8080", () => {
    expect(issuePaths({ name: 'web', type: 'web', source: { image: 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine' }, cpu: 256, memory: 512, port: 8080 })).toEqual([]);
  });

  it('refuses a port above 65535', () => {
    expect(portIssues(65536)).toEqual(['Must be at most 65535.']);
  });

  it('refuses a privileged port in a patch too', () => {
    expect(ServiceSpecPatch.safeParse({ port: 80 }).success).toBe(false);
    expect(ServiceSpecPatch.safeParse({ port: 8080 }).success).toBe(true);
    const stored = resolveServiceSpec(ServiceSpec.parse(web));
    const out = applyServicePatch(stored, { port: 1023 });
    expect(!out.ok && out.error.issues.map((i) => i.path.join('.'))).toEqual(['port']);
  });

  it('says so in the schema description (and so in the OpenAPI document)', () => {
    const schema = z.toJSONSchema(ServiceSpec, { io: 'input' }) as unknown as { properties: { port: { minimum?: number; maximum?: number; description?: string } } };
    expect(schema.properties.port).toMatchObject({ minimum: 1024, maximum: 65535 });
    expect(schema.properties.port.description).toMatch(/below 1024 are refused/);
  });
});

describe('resolveServiceSpec', () => {
  const resolve = (spec: unknown) => resolveServiceSpec(ServiceSpec.parse(spec));

  it('closes egress for data stores and opens it for other services by default', () => {
    expect(resolve({ ...worker, name: 'db', type: 'database' }).egress).toBe('none');
    expect(resolve({ ...worker, name: 'kv', type: 'cache' }).egress).toBe('none');
    expect(resolve(worker).egress).toBe('internet');
    expect(resolve(web).egress).toBe('internet');
    expect(resolve({ ...worker, type: 'database', egress: 'internet' }).egress).toBe('internet');
  });

  it('keeps a web service private and runs one replica unless told otherwise', () => {
    expect(resolve(web)).toMatchObject({ public: false, replicas: 1 });
    expect(resolve({ ...web, public: true, replicas: 0 })).toMatchObject({ public: true, replicas: 0 });
    expect(resolve(worker)).not.toHaveProperty('public');
  });
});

describe('applyServicePatch', () => {
  const stored: ResolvedServiceSpec = resolveServiceSpec(ServiceSpec.parse(web));

  it('replaces the fields it names and keeps the others', () => {
    const out = applyServicePatch(stored, { replicas: 3, cpu: 1024, memory: 2048 });
    expect(out.ok && out.spec).toMatchObject({ name: 'api', port: 8080, replicas: 3, cpu: 1024, memory: 2048 });
  });

  it('checks the merged spec as a whole', () => {
    const out = applyServicePatch(stored, { memory: 4096 });
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error.issues.map((i) => i.path.join('.'))).toEqual(['memory']);
  });

  it('turns a web service into a worker only once its port and health check are removed (null)', () => {
    const refused = applyServicePatch({ ...stored, healthCheckPath: '/health' }, { type: 'worker' });
    expect(!refused.ok && refused.error.issues.map((i) => i.path.join('.')).sort()).toEqual(['healthCheckPath', 'port']);
    const accepted = applyServicePatch({ ...stored, healthCheckPath: '/health' }, { type: 'worker', port: null, healthCheckPath: null });
    expect(accepted.ok && accepted.spec).toMatchObject({ type: 'worker', egress: 'internet' });
    expect(accepted.ok && accepted.spec).not.toHaveProperty('port');
    expect(accepted.ok && accepted.spec).not.toHaveProperty('public');
  });
});
