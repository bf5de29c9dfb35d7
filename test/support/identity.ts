import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestApi, TestResponse } from './platform';
import { uniqueId } from './platform';

/** A password that passes the policy. */
export const GOOD_PASSWORD = 'correct horse battery staple 42';

export interface MailFile {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Every message in the outbox addressed to `to`, oldest first. */
export async function mailTo(outbox: string, to: string): Promise<MailFile[]> {
  const names = (await readdir(outbox).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const mails = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(outbox, n), 'utf8')) as MailFile));
  return mails.filter((m) => m.to.toLowerCase() === to.toLowerCase());
}

/**
 * Every message to `to` once the platform has settled: mail that answers a public request is sent
 * by the identity consumer after the response, so this waits for the event bus to go idle first.
 */
export async function settledMailTo(api: Pick<TestApi, 'outbox' | 'platform'>, to: string): Promise<MailFile[]> {
  await api.platform.events.drain();
  return mailTo(api.outbox, to);
}

/**
 * The token of the newest mail to `to` whose subject matches, waiting (up to 10 s) for one to
 * arrive: the identity consumer sends it after the response. To get a second mail of the same
 * kind, drain the bus first (`api.platform.events.drain()`) or use `settledMailTo`.
 */
export async function tokenFromMail(outbox: string, to: string, subject: RegExp): Promise<string> {
  const matching = async () => (await mailTo(outbox, to)).filter((m) => subject.test(m.subject));
  await eventually(async () => (await matching()).length > 0, 10_000, 20).catch(() => undefined);
  const mail = (await matching()).at(-1);
  expect(mail, `a mail to ${to} matching ${subject}`).toBeDefined();
  const token = /token=([A-Za-z0-9_-]+)/.exec(mail!.text)?.[1];
  expect(token).toBeDefined();
  return token!;
}

export interface TestUser {
  readonly email: string;
  readonly password: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly userId: string;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Requests to the test API with one credential; `headers` carries it into `api.request(...)` calls. */
export interface TestClient {
  readonly headers: Record<string, string>;
  get(path: string, body?: unknown): Promise<TestResponse>;
  post(path: string, body?: unknown): Promise<TestResponse>;
  put(path: string, body?: unknown): Promise<TestResponse>;
  patch(path: string, body?: unknown): Promise<TestResponse>;
  delete(path: string, body?: unknown): Promise<TestResponse>;
}

/** A client of `api` acting as `who`: a user (with their access token), or a raw bearer token or API key. */
export function actingAs(api: TestApi, who: TestUser | string): TestClient {
  const headers = bearer(typeof who === 'string' ? who : who.accessToken);
  const send = (method: string) => (path: string, body?: unknown) => api.request(method, path, { body, headers });
  return { headers, get: send('GET'), post: send('POST'), put: send('PUT'), patch: send('PATCH'), delete: send('DELETE') };
}

/** Signs up, verifies through the mailed link and logs in: a ready user with a session. */
export async function signUpVerifiedUser(api: TestApi, outbox: string, overrides: { email?: string; password?: string } = {}): Promise<TestUser> {
  const email = overrides.email ?? `${uniqueId('user')}@example.com`;
  const password = overrides.password ?? GOOD_PASSWORD;
  const signup = await api.request('POST', '/v1/auth/signup', { body: { email, password, name: 'Test User' } });
  expect(signup.status, signup.text).toBe(202);
  // The mail this signup causes, not one of an earlier account of the same address.
  await api.platform.events.drain();
  const token = await tokenFromMail(outbox, email, /Verify/);
  const verified = await api.request('POST', '/v1/auth/verify-email', { body: { token, password } });
  expect(verified.status, verified.text).toBe(200);
  return { email, password, ...(await logIn(api, email, password)) };
}

export async function logIn(api: TestApi, email: string, password: string) {
  const res = await api.request('POST', '/v1/auth/login', { body: { email, password }, headers: { 'user-agent': 'vitest' } });
  expect(res.status, res.text).toBe(200);
  const me = await api.request('GET', '/v1/me', { headers: bearer(res.json.accessToken) });
  return { accessToken: res.json.accessToken as string, refreshToken: res.json.refreshToken as string, userId: me.json.userId as string };
}

/** Polls until `check` holds or the deadline passes; returns the elapsed milliseconds. */
export async function eventually(check: () => Promise<boolean>, deadlineMs: number, intervalMs = 250): Promise<number> {
  // performance.now, not Date: tests that fake the clock (Date only) must not stop the deadline.
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > deadlineMs) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return performance.now() - start;
}
