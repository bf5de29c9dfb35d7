import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveredEvent } from '../../functions/kernel/events/event-bus';
import { LocalEventBus, loadConsumerModule } from '../../local/local-event-bus';
import { GOOD_PASSWORD, settledMailTo, signUpVerifiedUser } from '../support/identity';
import { testPlatform, uniqueId, useTestApi, type TestApi } from '../support/platform';

/**
 * Public identity requests do the same work whether or not the address has an account
 * (docs/identity.md, "Equal work on public paths"): what each one asks of the table, the keys, the
 * bus and the mailer on its response path is recorded and compared across the two cases. Equal
 * traces are what makes the response times equal; `npm run bench` measures the times themselves.
 */

/** Holds the consumer's deliveries while a request is traced, so that only the response path is seen. */
function gatedBus() {
  let gate: Promise<void> = Promise.resolve();
  let open = () => undefined as void;
  const bus = new LocalEventBus({
    loadConsumer: async (domain) => {
      const consume = await loadConsumerModule(domain);
      return async (event: DeliveredEvent) => {
        await gate;
        await consume(event);
      };
    },
  });
  return {
    bus,
    hold: () => {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release: () => open(),
  };
}

const gated = gatedBus();

/** Ids, hashes and random tokens vary from call to call; what is compared is their place. */
const shape = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/[0-9a-f]{16,}/g, '<hex>')
    .replace(/[A-Za-z0-9_-]{43}/g, '<token>');

interface Traced {
  readonly status: number;
  readonly body: string;
  readonly calls: readonly string[];
}

describe('identity: equal work on public paths', () => {
  const { api } = useTestApi({ platform: () => testPlatform({ events: gated.bus }) });

  afterEach(() => vi.restoreAllMocks());

  /** Every port call one request makes before it answers: table commands by kind and key shape, key, bus and mail calls. */
  async function trace(send: () => ReturnType<TestApi['request']>): Promise<Traced> {
    const calls: string[] = [];
    const { table, piiKeys, events, mailer, emailIndex } = api.platform;
    const send_ = table.doc.send.bind(table.doc);
    vi.spyOn(table.doc, 'send').mockImplementation(((command: { constructor: { name: string }; input: Record<string, unknown> }, ...rest: unknown[]) => {
      const { input } = command;
      const items = (input.TransactItems as Record<string, { Key?: unknown; Item?: { pk: string; sk: string } }>[] | undefined)?.map((item) =>
        Object.entries(item).map(([op, w]) => `${op} ${shape(w.Key ?? { pk: w.Item?.pk, sk: w.Item?.sk })}`),
      );
      calls.push(`table ${command.constructor.name} ${items ? shape(items) : shape(input.Key ?? null)}`);
      return (send_ as (...args: unknown[]) => unknown)(command, ...rest);
    }) as never);
    for (const method of ['generateDataKey', 'decryptDataKey'] as const) {
      const original = piiKeys[method].bind(piiKeys) as (...args: unknown[]) => unknown;
      vi.spyOn(piiKeys, method).mockImplementation(((...args: unknown[]) => (calls.push(`piiKeys ${method}`), original(...args))) as never);
    }
    const publish = events.publish.bind(events);
    vi.spyOn(events, 'publish').mockImplementation(async (list) => (calls.push(`events publish ${list.map((e) => e.type).join(',')}`), publish(list)));
    const mail = mailer.send.bind(mailer);
    vi.spyOn(mailer, 'send').mockImplementation(async (message) => (calls.push('mailer send'), mail(message)));
    const hash = emailIndex.lookupHash.bind(emailIndex);
    vi.spyOn(emailIndex, 'lookupHash').mockImplementation(async (email) => (calls.push('emailIndex lookupHash'), hash(email)));

    gated.hold();
    try {
      const res = await send();
      return { status: res.status, body: shape({ ...res.json, error: res.json?.error ? { ...res.json.error, requestId: undefined } : undefined }), calls };
    } finally {
      vi.restoreAllMocks();
      gated.release();
      await api.platform.events.drain();
    }
  }

  const post = (path: string, body: unknown) => () => api.request('POST', path, { body });

  /** An account whose address is not verified: signed up, its mail delivered, never verified. */
  async function unverifiedAddress(): Promise<string> {
    const email = `${uniqueId('pending')}@example.com`;
    expect((await api.request('POST', '/v1/auth/signup', { body: { email, password: GOOD_PASSWORD, name: 'Pending' } })).status).toBe(202);
    expect(await settledMailTo(api, email)).toHaveLength(1);
    return email;
  }

  const unknownAddress = () => `${uniqueId('ghost')}@example.com`;

  it('login with a wrong password: an existing account and an unknown address do the same work', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const existing = await trace(post('/v1/auth/login', { email: user.email, password: 'not the password at all' }));
    const unknown = await trace(post('/v1/auth/login', { email: unknownAddress(), password: 'not the password at all' }));
    expect(existing.status).toBe(401);
    expect(unknown).toEqual(existing);
    // The failure is recorded off the response path: the trace writes no audit record.
    expect(existing.calls.join('\n')).not.toMatch(/AUDIT/);
    expect(existing.calls).toContain('events publish identity.login_failed');
  });

  it('signup: a new address, an unverified account and a verified one do the same work', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const body = (email: string) => ({ email, password: 'another long passphrase 77', name: 'Someone' });
    const fresh = await trace(post('/v1/auth/signup', body(unknownAddress())));
    const pending = await trace(post('/v1/auth/signup', body(await unverifiedAddress())));
    const taken = await trace(post('/v1/auth/signup', body(user.email)));
    expect(fresh.status).toBe(202);
    expect(pending).toEqual(fresh);
    expect(taken).toEqual(fresh);
    expect(fresh.calls).not.toContain('mailer send');
  });

  it('verification resend: an unverified account, a verified one and an unknown address do the same work', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const pending = await trace(post('/v1/auth/verify-email/resend', { email: await unverifiedAddress() }));
    const verified = await trace(post('/v1/auth/verify-email/resend', { email: user.email }));
    const unknown = await trace(post('/v1/auth/verify-email/resend', { email: unknownAddress() }));
    expect(pending.status).toBe(202);
    expect(verified).toEqual(pending);
    expect(unknown).toEqual(pending);
  });

  it('password-reset request: an existing account and an unknown address do the same work', async () => {
    const user = await signUpVerifiedUser(api, api.outbox);
    const existing = await trace(post('/v1/auth/password/forgot', { email: user.email }));
    const unknown = await trace(post('/v1/auth/password/forgot', { email: unknownAddress() }));
    expect(existing.status).toBe(202);
    expect(unknown).toEqual(existing);
    // The mail still reaches the owner, from the consumer.
    expect((await settledMailTo(api, user.email)).at(-1)!.subject).toMatch(/Reset/);
  });
});
