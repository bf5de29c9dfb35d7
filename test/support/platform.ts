import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { installPlatform, type Platform } from '../../functions/kernel/platform/platform';
import { routeTable } from '../../functions/routes';
import { startGateway, type RunningGateway } from '../../local/gateway';
import { LocalEventBus } from '../../local/local-event-bus';
import { LocalKeyProvider } from '../../local/local-key-provider';
import { localPlatform } from '../../local/platform';
import { httpRequest, randomLoopbackIp, type RequestInit, type TestResponse } from './http';
import { captureLogs } from './log-capture';

export { httpRequest, randomLoopbackIp, type RequestInit, type TestResponse };

export type TestPlatform = Platform & { events: LocalEventBus };

/** The local platform on the run's DynamoDB Local, with the run's in-memory root and PII keys. */
export function testPlatform(overrides: { endpoint?: string; events?: LocalEventBus; outboxDirectory?: string } = {}): TestPlatform & { outbox: string } {
  const outbox = overrides.outboxDirectory ?? mkdtempSync(join(tmpdir(), 'rampart-outbox-'));
  const platform = localPlatform({
    endpoint: overrides.endpoint ?? inject('dynamoEndpoint'),
    tableName: inject('tableName'),
    keys: LocalKeyProvider.fromKey(Buffer.from(inject('testRootKey'), 'hex')),
    piiKeys: LocalKeyProvider.fromKey(Buffer.from(inject('testPiiKey'), 'hex')),
    events: overrides.events ?? new LocalEventBus(),
    version: '0.0.0-test',
    outboxDirectory: outbox,
    announce: () => undefined,
    appUrl: 'http://rampart.test',
  });
  return Object.assign(platform, { outbox });
}

export interface TestApi {
  readonly url: string;
  readonly platform: TestPlatform;
  /** Where the platform's mail goes (one directory per test platform). */
  readonly outbox: string;
  close(): Promise<void>;
  /**
   * A request from a random loopback address (127.x.y.z) unless `sourceIp` names one: every test
   * is its own client, so per-IP rate limits apply per test, as they would per person.
   */
  request(method: string, path: string, init?: RequestInit): Promise<TestResponse>;
}




/** Installs a test platform and serves the route table through the local gateway on a random port. */
export async function startTestApi(platform: TestPlatform & { outbox: string } = testPlatform()): Promise<TestApi> {
  installPlatform(platform);
  const gateway: RunningGateway = await startGateway({ routes: routeTable, port: 0 });
  return {
    url: gateway.url,
    platform,
    outbox: platform.outbox,
    close: () => gateway.close(),
    request: (method, path, init = {}) => httpRequest(gateway.url, method, path, { sourceIp: randomLoopbackIp(), ...init }),
  };
}

export interface TestApiOptions {
  /** Keep every log line, at every level, from before the API starts (see `captureLogs`). */
  readonly captureLogs?: boolean;
  /** The platform to serve, when the file needs another one than `testPlatform()`. */
  readonly platform?: () => (TestPlatform & { outbox: string }) | Promise<TestPlatform & { outbox: string }>;
}

/**
 * Starts the test API before the enclosing suite's tests (stopping it after them) and returns the
 * API, usable once the suite runs, and, with `captureLogs`, what the suite's code wrote to stdout
 * and stderr (one entry a write: a log line).
 * @example
 * const { api, logLines } = useTestApi({ captureLogs: true });
 * it('…', async () => { await api.request('GET', '/v1/health'); expect(logLines().join('')).not.toContain(secret); });
 */
export function useTestApi(options: TestApiOptions = {}): { readonly api: TestApi; logLines(): readonly string[] } {
  let started: TestApi | undefined;
  let captured: ReturnType<typeof captureLogs> | undefined;
  const current = (): TestApi => {
    if (!started) throw new Error('the test API starts in beforeAll: use it inside a hook or a test');
    return started;
  };
  beforeAll(async () => {
    // Before the platform is built: loggers read the level when the handlers load.
    if (options.captureLogs) captured = captureLogs();
    started = await startTestApi(options.platform ? await options.platform() : undefined);
  });
  afterAll(async () => {
    captured?.release();
    await started?.close();
  });
  const api: TestApi = {
    get url() {
      return current().url;
    },
    get platform() {
      return current().platform;
    },
    get outbox() {
      return current().outbox;
    },
    close: () => current().close(),
    request: (method, path, init) => current().request(method, path, init),
  };
  return {
    api,
    logLines: () => {
      if (!captured) throw new Error('logs are captured only with useTestApi({ captureLogs: true })');
      return captured.output;
    },
  };
}

/** A unique id for test data, so files and tests can share one table and run in parallel. */
export const uniqueId = (prefix = 't') => `${prefix}${randomBytes(6).toString('hex')}`;

