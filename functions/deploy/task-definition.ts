import type { OrgScope } from '../kernel/auth/org-scope';
import type { ContainerDefinition, TaskDefinitionRequest } from '../kernel/runtime/task-definition';
import type { ResolvedServiceSpec, ServiceType } from '../projects/service-spec';

/**
 * The one place a service becomes a task definition (docs/runtime.md, "Hardened task
 * definitions"): pure, so every field can be tested, and followed by `checkTaskPolicy`, which
 * refuses anything outside policy whoever built it.
 *
 * Every task: one container, pinned by digest; a non-root user; a read-only root filesystem with
 * named writable paths as tmpfs (bind mounts would be created owned by root, so a non-root user
 * could not write to them: docs/runtime.md); every Linux capability dropped and
 * none added; an init process; no privileged mode; `awsvpc`; no task role (the container gets no
 * AWS permissions); the service's variables only as ECS secrets pinned to this deployment's
 * version of the service's secret; logs through `awslogs` in non-blocking mode.
 */

/** The container's name in every task definition (logs, health checks and the ALB refer to it). */
export const CONTAINER_NAME = 'app';

/**
 * The user a container runs as when its image names none or names root: an unprivileged uid and
 * gid that no system account uses (65532, `nonroot` in distroless images).
 */
export const UNPRIVILEGED_USER = '65532:65532';

/** Seconds between SIGTERM and SIGKILL: time to drain, within Fargate's maximum of 120. */
export const STOP_TIMEOUT_SECONDS = 30;

/** Paths each type may write to, in memory (tmpfs); everything else is read-only. Data stores' persistent volumes come with issue 13. */
export const WritablePaths: Readonly<Record<ServiceType, readonly string[]>> = {
  web: ['/tmp'],
  worker: ['/tmp'],
  database: ['/tmp'],
  cache: ['/tmp'],
};

/**
 * A writable path's size: an eighth of the task's memory, at most 256 MiB (tmpfs counts against
 * the task's memory, so a full /tmp cannot take more than that from the application).
 */
export const tmpfsSizeMiB = (memoryMiB: number): number => Math.min(256, Math.floor(memoryMiB / 8));

/** Writable by any uid (sticky, like /tmp everywhere), but nothing in it runs, and no device or setuid file works. */
export const TMPFS_MOUNT_OPTIONS = ['rw', 'nosuid', 'nodev', 'noexec', 'mode=1777'] as const;

/** Variables Rampart sets itself, never from the service's environment. */
export const PlatformVariables = ['PORT'] as const;

/** The image as resolved at deploy time from its registry. */
export interface ResolvedImage {
  /** `registry/path` without tag or digest (an ECR repository, or a pull-through cache prefix). */
  readonly repository: string;
  readonly digest: string;
  readonly architecture: 'arm64' | 'amd64';
  /** The image config's `User`, if it names one. */
  readonly user?: string | undefined;
}

/** The version of the service's secret written for this deployment, and the variables it holds. */
export interface EnvironmentVersion {
  /** The secret's full ARN (with its six-character suffix). */
  readonly secretArn: string;
  readonly versionId: string;
  readonly names: readonly string[];
}

export interface TaskDefinitionInputs {
  readonly scope: OrgScope;
  readonly projectId: string;
  readonly serviceId: string;
  readonly deploymentId: string;
  readonly spec: ResolvedServiceSpec;
  readonly image: ResolvedImage;
  readonly environment: EnvironmentVersion;
  /** The per-project execution role (docs/runtime.md): pulls the project's images, reads its secrets. */
  readonly executionRoleArn: string;
  readonly logs: { readonly group: string; readonly region: string };
}

/** A task definition family per service: `rmp-<orgId>-<serviceId>` (letters, digits, `-` and `_` only). */
export const taskFamily = (scope: OrgScope, serviceId: string): string => `rmp-${scope.orgId}-${serviceId}`;

/** Whether an image's user is root: none given (Docker's default), `root` or uid 0, with or without a group. */
export function isRootUser(user: string | undefined): boolean {
  const name = (user ?? '').trim().split(':')[0]!;
  return name === '' || name === 'root' || /^0+$/.test(name);
}

/**
 * ECS's reference to one key of one version of a secret:
 * `<secret ARN>:<json key>:<version stage>:<version id>`, with the stage left empty so the version id pins it.
 */
export const secretValueFrom = (secretArn: string, name: string, versionId: string): string => `${secretArn}:${name}::${versionId}`;

export function buildTaskDefinition(inputs: TaskDefinitionInputs): TaskDefinitionRequest {
  const { spec, image } = inputs;
  const writable = WritablePaths[spec.type];
  const container: ContainerDefinition = {
    name: CONTAINER_NAME,
    image: `${image.repository}@${image.digest}`,
    essential: true,
    user: isRootUser(image.user) ? UNPRIVILEGED_USER : image.user!.trim(),
    readonlyRootFilesystem: true,
    privileged: false,
    linuxParameters: {
      capabilities: { add: [], drop: ['ALL'] },
      initProcessEnabled: true,
      tmpfs: writable.map((containerPath) => ({ containerPath, size: tmpfsSizeMiB(spec.memory), mountOptions: [...TMPFS_MOUNT_OPTIONS] })),
    },
    portMappings: spec.type === 'web' && spec.port !== undefined ? [{ containerPort: spec.port, protocol: 'tcp', name: 'http', appProtocol: 'http' }] : [],
    environment: spec.type === 'web' && spec.port !== undefined ? [{ name: 'PORT', value: String(spec.port) }] : [],
    secrets: [...inputs.environment.names].sort().map((name) => ({ name, valueFrom: secretValueFrom(inputs.environment.secretArn, name, inputs.environment.versionId) })),
    mountPoints: [],
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': inputs.logs.group,
        'awslogs-region': inputs.logs.region,
        'awslogs-stream-prefix': inputs.serviceId,
        // A full buffer drops lines rather than blocking the application's writes.
        mode: 'non-blocking',
        'max-buffer-size': '25m',
      },
    },
    stopTimeout: STOP_TIMEOUT_SECONDS,
  };
  return {
    family: taskFamily(inputs.scope, inputs.serviceId),
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(spec.cpu),
    memory: String(spec.memory),
    runtimePlatform: { cpuArchitecture: image.architecture === 'arm64' ? 'ARM64' : 'X86_64', operatingSystemFamily: 'LINUX' },
    executionRoleArn: inputs.executionRoleArn,
    // No ephemeralStorage: Fargate's default 20 GiB bounds the writable volumes, and more is billed.
    containerDefinitions: [container],
    volumes: [],
    tags: [
      { key: 'rampart:org', value: inputs.scope.orgId },
      { key: 'rampart:project', value: inputs.projectId },
      { key: 'rampart:service', value: inputs.serviceId },
      { key: 'rampart:deployment', value: inputs.deploymentId },
    ],
  };
}
