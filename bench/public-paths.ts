import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPlatform } from '../functions/kernel/platform/platform';
import { routeTable } from '../functions/routes';
import { ensureTable, startDynamoDbLocal } from '../local/dynamodb-local';
import { startGateway } from '../local/gateway';
import { LocalEventBus } from '../local/local-event-bus';
import { LocalKeyProvider } from '../local/local-key-provider';
import { localPlatform } from '../local/platform';
import { freePort } from '../test/support/ports';
import { httpRequest, randomLoopbackIp } from '../test/support/http';

/**
 * Response times of the public identity requests for an address with an account and one without
 * (docs/identity.md, "Equal work on public paths"): `TRIES` alternating pairs per request, each try
 * from its own loopback address and, where mail is involved, its own account (so that no rate
 * limit or mail budget answers instead), on DynamoDB Local and the local gateway. The target: the
 * medians differ by less than the noise, a few milliseconds.
 */

const TRIES = 20;
// Request logs would be timed with the requests; loggers read the level when the handlers load.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const PASSWORD = 'a long benchmark passphrase 4';

export interface PathTiming {
  readonly request: string;
  readonly existingMedianMs: number;
  readonly unknownMedianMs: number;
  readonly differenceMs: number;
  /** Half the interquartile range of both series: how much a single try varies on this machine. */
  readonly noiseMs: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 0 ? (sorted[middle - 1]! + sorted[middle]!) / 2 : sorted[Math.floor(middle)]!;
};
const quantile = (values: readonly number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
const round = (n: number) => Number(n.toFixed(2));
const address = (label: string) => `${label}-${randomBytes(6).toString('hex')}@bench.example`;

export async function measurePublicPaths(): Promise<PathTiming[]> {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  const events = new LocalEventBus();
  const outbox = mkdtempSync(join(tmpdir(), 'rampart-bench-outbox-'));
  try {
    await ensureTable(dynamo.endpoint, 'rampart-bench');
    const platform = localPlatform({
      endpoint: dynamo.endpoint,
      tableName: 'rampart-bench',
      keys: LocalKeyProvider.fromKey(randomBytes(32)),
      piiKeys: LocalKeyProvider.fromKey(randomBytes(32)),
      events,
      version: '0.0.0-bench',
      outboxDirectory: outbox,
      announce: () => undefined,
      appUrl: 'http://rampart.bench',
    });
    installPlatform(platform);
    const gateway = await startGateway({ routes: routeTable, port: 0 });
    const post = (path: string, body: unknown) => httpRequest(gateway.url, 'POST', path, { body, sourceIp: randomLoopbackIp() });
    const timed = async (path: string, body: unknown) => {
      const start = performance.now();
      const res = await post(path, body);
      const elapsed = performance.now() - start;
      if (res.status >= 500 || res.status === 429) throw new Error(`${path} answered ${res.status}: ${res.text}`);
      return elapsed;
    };
    const verifyToken = (email: string) => {
      const mail = readdirSync(outbox)
        .map((name) => JSON.parse(readFileSync(join(outbox, name), 'utf8')) as { to: string; text: string })
        .find((m) => m.to === email);
      return /token=([A-Za-z0-9_-]+)/.exec(mail!.text)![1]!;
    };
    const accounts = async (label: string, verified: boolean) => {
      const emails = Array.from({ length: TRIES + 1 }, () => address(label)); // one more for the warm-up
      for (const email of emails) await post('/v1/auth/signup', { email, password: PASSWORD, name: 'Bench' });
      await events.drain();
      if (verified) for (const email of emails) await post('/v1/auth/verify-email', { token: verifyToken(email), password: PASSWORD });
      return emails;
    };

    const cases: { request: string; path: string; existing: string[]; body: (email: string) => unknown }[] = [
      { request: 'login, wrong password', path: '/v1/auth/login', existing: await accounts('login', true), body: (email) => ({ email, password: 'not the right passphrase' }) },
      { request: 'password-reset request', path: '/v1/auth/password/forgot', existing: await accounts('forgot', true), body: (email) => ({ email }) },
      { request: 'verification resend', path: '/v1/auth/verify-email/resend', existing: await accounts('resend', false), body: (email) => ({ email }) },
      { request: 'signup', path: '/v1/auth/signup', existing: await accounts('signup', true), body: (email) => ({ email, password: 'another benchmark passphrase 5', name: 'Bench' }) },
    ];

    const timings: PathTiming[] = [];
    for (const c of cases) {
      // A warm-up of each path, then alternating pairs (existing first, then unknown first). The
      // consumer is drained after every request: on AWS it runs in another function, so its work
      // must not land on the next timed request here either.
      const run = async (email: string) => {
        const elapsed = await timed(c.path, c.body(email));
        await events.drain();
        return elapsed;
      };
      await run(c.existing.pop()!);
      await run(address('warm'));
      const existing: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < TRIES; i++) {
        if (i % 2 === 0) {
          existing.push(await run(c.existing[i]!));
          unknown.push(await run(address('ghost')));
        } else {
          unknown.push(await run(address('ghost')));
          existing.push(await run(c.existing[i]!));
        }
      }
      const noise = (series: number[]) => (quantile(series, 0.75) - quantile(series, 0.25)) / 2;
      timings.push({
        request: c.request,
        existingMedianMs: round(median(existing)),
        unknownMedianMs: round(median(unknown)),
        differenceMs: round(median(existing) - median(unknown)),
        noiseMs: round(Math.max(noise(existing), noise(unknown))),
      });
    }
    await gateway.close();
    return timings;
  } finally {
    await events.drain();
    await dynamo.stop();
  }
}
