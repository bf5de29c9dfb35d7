import type { TaskDefinitionRequest } from '../kernel/runtime/task-definition';
import { FargateMemoryByCpu } from '../projects/service-spec';
import { isRootUser, PlatformVariables, STOP_TIMEOUT_SECONDS } from './task-definition';

/**
 * The policy every task definition must meet before it is registered, checked on the object
 * itself (not on how it was built), so a bug in the builder, a field someone adds later, or an
 * object that never came from the builder cannot slip past: docs/runtime.md lists each rule and
 * why. `expected` names what this deployment may reference: its own secret version, its own
 * execution role, its own image repository.
 */

export interface PolicyContext {
  readonly secretArn: string;
  readonly versionId: string;
  readonly executionRoleArn: string;
  /** Where this project's images may come from: its own ECR repository and the pull-through cache prefixes. */
  readonly imageRepositories: readonly string[];
}

export interface PolicyViolation {
  /** Where in the request (`containerDefinitions[0].user`). */
  readonly path: string;
  readonly rule: string;
}

/** Fields ECS accepts that no Rampart task may carry, at the task level and per container. */
const FORBIDDEN_TASK_FIELDS = ['taskRoleArn', 'pidMode', 'ipcMode', 'proxyConfiguration', 'inferenceAccelerators', 'placementConstraints'] as const;
const FORBIDDEN_CONTAINER_FIELDS = [
  'dockerSecurityOptions',
  'links',
  'volumesFrom',
  'extraHosts',
  'dnsServers',
  'dnsSearchDomains',
  'systemControls',
  'repositoryCredentials',
  'firelensConfiguration',
  'dependsOn',
  'entryPoint',
  'command',
  'workingDirectory',
  'ulimits',
  'hostname',
  'interactive',
  'pseudoTerminal',
] as const;
const FORBIDDEN_LINUX_FIELDS = ['devices', 'sharedMemorySize', 'maxSwap', 'swappiness'] as const;
/** What every writable tmpfs must be mounted with; `exec` (or leaving out `noexec`) would let downloaded code run. */
const REQUIRED_TMPFS_OPTIONS = ['nosuid', 'nodev', 'noexec'] as const;

const DIGEST_REFERENCE = /^[^@\s]+@sha256:[a-f0-9]{64}$/;
const LOG_OPTIONS = ['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix', 'mode', 'max-buffer-size'] as const;

/** Every way `request` breaks the policy (none: it may be registered). */
export function checkTaskPolicy(request: TaskDefinitionRequest, expected: PolicyContext): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const refuse = (path: string, rule: string) => violations.push({ path, rule });
  const task = request as unknown as Record<string, unknown>;

  for (const field of FORBIDDEN_TASK_FIELDS) if (task[field] !== undefined) refuse(field, `${field} is not allowed (customer tasks get no AWS role and share nothing with the host)`);
  if (JSON.stringify(request.requiresCompatibilities) !== '["FARGATE"]') refuse('requiresCompatibilities', 'Fargate only');
  if (request.networkMode !== 'awsvpc') refuse('networkMode', 'awsvpc only');
  const cpu = Number(request.cpu);
  const memory = Number(request.memory);
  if (!FargateMemoryByCpu[cpu]?.includes(memory)) refuse('memory', `cpu ${request.cpu} with memory ${request.memory} is not a Fargate size`);
  if (request.runtimePlatform?.operatingSystemFamily !== 'LINUX') refuse('runtimePlatform.operatingSystemFamily', 'Linux only');
  if (request.executionRoleArn !== expected.executionRoleArn) refuse('executionRoleArn', "the project's own execution role only");
  const storage = request.ephemeralStorage?.sizeInGiB;
  if (storage !== undefined && !(Number.isInteger(storage) && storage >= 21 && storage <= 200)) refuse('ephemeralStorage.sizeInGiB', 'between 21 and 200 GiB');

  const volumes = new Set<string>();
  for (const [i, volume] of (request.volumes ?? []).entries()) {
    const keys = Object.keys(volume);
    // A bind mount on the task's own storage: no host path, no EFS or Docker volume.
    if (keys.length !== 1 || keys[0] !== 'name') refuse(`volumes[${i}]`, 'only named volumes on the task’s ephemeral storage');
    volumes.add(volume.name);
  }

  if (request.containerDefinitions?.length !== 1) refuse('containerDefinitions', 'exactly one container');
  for (const [i, container] of (request.containerDefinitions ?? []).entries()) {
    const at = (field: string) => `containerDefinitions[${i}].${field}`;
    const raw = container as unknown as Record<string, unknown>;
    for (const field of FORBIDDEN_CONTAINER_FIELDS) if (raw[field] !== undefined) refuse(at(field), `${field} is not allowed`);
    if (!DIGEST_REFERENCE.test(container.image ?? '')) refuse(at('image'), 'pinned by digest (repository@sha256:…)');
    const repository = (container.image ?? '').split('@')[0]!;
    if (!expected.imageRepositories.some((allowed) => repository === allowed || repository.startsWith(`${allowed}/`))) {
      refuse(at('image'), "from this project's repository or the platform's pull-through cache, through ECR");
    }
    if (isRootUser(container.user)) refuse(at('user'), 'a non-root user');
    if (container.readonlyRootFilesystem !== true) refuse(at('readonlyRootFilesystem'), 'a read-only root filesystem');
    if (container.privileged !== false) refuse(at('privileged'), 'never privileged');
    if (container.essential !== true) refuse(at('essential'), 'the one container is essential');

    const linux = (container.linuxParameters ?? {}) as unknown as Record<string, unknown>;
    for (const field of FORBIDDEN_LINUX_FIELDS) if (linux[field] !== undefined) refuse(at(`linuxParameters.${field}`), `${field} is not allowed`);
    const capabilities = container.linuxParameters?.capabilities;
    if ((capabilities?.add ?? []).length > 0) refuse(at('linuxParameters.capabilities.add'), 'no capability is added');
    if (JSON.stringify(capabilities?.drop) !== '["ALL"]') refuse(at('linuxParameters.capabilities.drop'), 'every capability is dropped (ALL)');
    if (container.linuxParameters?.initProcessEnabled !== true) refuse(at('linuxParameters.initProcessEnabled'), 'an init process reaps zombies and forwards signals');
    let tmpfsTotal = 0;
    for (const [j, tmpfs] of (container.linuxParameters?.tmpfs ?? []).entries()) {
      const where = at(`linuxParameters.tmpfs[${j}]`);
      if (!tmpfs.containerPath?.startsWith('/') || tmpfs.containerPath === '/' || tmpfs.containerPath.includes('..')) refuse(where, 'an absolute path below /');
      if (!Number.isInteger(tmpfs.size) || tmpfs.size < 1) refuse(where, 'a size in MiB');
      tmpfsTotal += Number.isInteger(tmpfs.size) ? tmpfs.size : 0;
      const options = tmpfs.mountOptions ?? [];
      if (!REQUIRED_TMPFS_OPTIONS.every((option) => options.includes(option)) || options.includes('exec') || options.includes('suid') || options.includes('dev')) {
        refuse(where, `mounted ${REQUIRED_TMPFS_OPTIONS.join(', ')}`);
      }
    }
    // In memory: all of them together may take at most a quarter of the task's memory.
    if (tmpfsTotal > memory / 4) refuse(at('linuxParameters.tmpfs'), 'at most a quarter of the task’s memory in all');

    const platformNames = new Set<string>(PlatformVariables);
    for (const [j, variable] of (container.environment ?? []).entries()) {
      // Values the service sets travel only as secrets; environment holds what Rampart sets.
      if (!platformNames.has(variable.name)) refuse(at(`environment[${j}]`), `only ${PlatformVariables.join(', ')} in environment: the service's variables are secrets`);
    }
    const names = new Set<string>();
    for (const [j, secret] of (container.secrets ?? []).entries()) {
      if (names.has(secret.name)) refuse(at(`secrets[${j}]`), `${secret.name} is given twice`);
      names.add(secret.name);
      if (platformNames.has(secret.name)) refuse(at(`secrets[${j}]`), `${secret.name} is set by Rampart (the service's port): remove the variable or change the port`);
      if (secret.valueFrom !== `${expected.secretArn}:${secret.name}::${expected.versionId}`) {
        refuse(at(`secrets[${j}].valueFrom`), "this deployment's version of the service's own secret, by version id");
      }
    }

    for (const [j, mount] of (container.mountPoints ?? []).entries()) {
      if (!volumes.has(mount.sourceVolume)) refuse(at(`mountPoints[${j}]`), 'a volume of this task');
      if (!mount.containerPath.startsWith('/') || mount.containerPath === '/') refuse(at(`mountPoints[${j}].containerPath`), 'an absolute path below /');
    }
    for (const [j, port] of (container.portMappings ?? []).entries()) {
      if (!(Number.isInteger(port.containerPort) && port.containerPort >= 1024 && port.containerPort <= 65535)) refuse(at(`portMappings[${j}]`), 'a port from 1024 to 65535');
      if ((port as unknown as Record<string, unknown>).hostPort !== undefined && (port as unknown as Record<string, unknown>).hostPort !== port.containerPort) {
        refuse(at(`portMappings[${j}].hostPort`), 'the container port itself (awsvpc)');
      }
    }

    const log = container.logConfiguration;
    if (log?.logDriver !== 'awslogs') refuse(at('logConfiguration.logDriver'), 'awslogs');
    if (log?.options?.mode !== 'non-blocking') refuse(at('logConfiguration.options.mode'), 'non-blocking, so a slow log stream never blocks the application');
    for (const option of Object.keys(log?.options ?? {})) {
      if (!(LOG_OPTIONS as readonly string[]).includes(option)) refuse(at(`logConfiguration.options.${option}`), 'not an allowed log option');
    }
    if (log?.options?.['awslogs-group'] === undefined) refuse(at('logConfiguration.options.awslogs-group'), "the service's log group");
    const stop = container.stopTimeout;
    if (!(Number.isInteger(stop) && stop >= 2 && stop <= 120)) refuse(at('stopTimeout'), `2 to 120 seconds (default ${STOP_TIMEOUT_SECONDS})`);
  }
  return violations;
}

/** A task definition refused by the policy: what a deployment records as its failure (never a value). */
export class TaskPolicyError extends Error {
  constructor(readonly violations: readonly PolicyViolation[]) {
    super(`The task definition breaks the runtime policy: ${violations.map((v) => `${v.path}: ${v.rule}`).join('; ')}.`);
    this.name = 'TaskPolicyError';
  }
}

/** @throws TaskPolicyError listing every violation. */
export function assertTaskPolicy(request: TaskDefinitionRequest, expected: PolicyContext): void {
  const violations = checkTaskPolicy(request, expected);
  if (violations.length > 0) throw new TaskPolicyError(violations);
}
