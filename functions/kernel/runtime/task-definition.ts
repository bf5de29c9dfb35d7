/**
 * What the runtime port registers as a task definition: the subset of ECS's
 * `RegisterTaskDefinition` input Rampart sends, with ECS's field names and casing, so the AWS
 * adapter passes it through unchanged and the local runtime validates the same object ECS would
 * receive. Fields Rampart never sets (task role, host paths, devices, Docker options) are absent
 * from the type on purpose; the policy check (functions/deploy/task-policy.ts) also refuses them if
 * they ever appear on an object at run time.
 */

export interface KeyValuePair {
  readonly name: string;
  readonly value: string;
}

/** An ECS secret: the variable `name` set from `valueFrom` (a Secrets Manager secret, JSON key and version). */
export interface TaskSecret {
  readonly name: string;
  readonly valueFrom: string;
}

export interface PortMapping {
  readonly containerPort: number;
  readonly protocol: 'tcp';
  readonly name: string;
  readonly appProtocol?: 'http';
}

export interface MountPoint {
  readonly sourceVolume: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

/** A memory-backed writable path (counts against the task's memory). */
export interface Tmpfs {
  readonly containerPath: string;
  /** MiB. */
  readonly size: number;
  readonly mountOptions: readonly string[];
}

export interface LinuxParameters {
  readonly capabilities: { readonly add: readonly string[]; readonly drop: readonly string[] };
  readonly initProcessEnabled: boolean;
  readonly tmpfs: readonly Tmpfs[];
}

export interface LogConfiguration {
  readonly logDriver: 'awslogs';
  readonly options: Readonly<Record<string, string>>;
}

export interface ContainerDefinition {
  readonly name: string;
  /** `<repository>@sha256:<digest>`: always pinned by digest. */
  readonly image: string;
  readonly essential: true;
  /** `uid`, `uid:gid` or a user name; never root. */
  readonly user: string;
  readonly readonlyRootFilesystem: true;
  readonly privileged: false;
  readonly linuxParameters: LinuxParameters;
  readonly portMappings: readonly PortMapping[];
  /** Platform-set, non-secret values only (`PORT`); every variable of the service comes as a secret. */
  readonly environment: readonly KeyValuePair[];
  readonly secrets: readonly TaskSecret[];
  readonly mountPoints: readonly MountPoint[];
  readonly logConfiguration: LogConfiguration;
  /** Seconds between SIGTERM and SIGKILL (Fargate allows at most 120). */
  readonly stopTimeout: number;
}

export interface TaskVolume {
  /** A bind mount on the task's ephemeral storage: no host path, nothing shared with another task. */
  readonly name: string;
}


export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface TaskDefinitionRequest {
  readonly family: string;
  readonly requiresCompatibilities: readonly ['FARGATE'];
  readonly networkMode: 'awsvpc';
  /** CPU units and MiB, as strings (ECS's task-level form), a pair Fargate accepts. */
  readonly cpu: string;
  readonly memory: string;
  readonly runtimePlatform: { readonly cpuArchitecture: 'ARM64' | 'X86_64'; readonly operatingSystemFamily: 'LINUX' };
  /** The role ECS uses to pull the image and read the secrets; the container itself gets no role. */
  readonly executionRoleArn: string;
  /** Absent: Fargate's default of 20 GiB. When set, 21 to 200. */
  readonly ephemeralStorage?: { readonly sizeInGiB: number };
  readonly containerDefinitions: readonly [ContainerDefinition];
  readonly volumes: readonly TaskVolume[];
  readonly tags: readonly Tag[];
}
