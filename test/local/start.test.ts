import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { freePort, isPortFree } from '../support/ports';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest } from '../support/platform';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, args: string[] = []): Started {
  const child = spawn(process.execPath, [TSX, 'local/start.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(condition: () => boolean, what: string, ms = 45_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start (local/start.ts)', () => {
  const running: Started[] = [];
  const blockers: Server[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
    for (const b of blockers.splice(0)) b.close();
  });

  it('starts the platform, serves /v1/health, prints endpoints and table, and stops cleanly on SIGTERM', { timeout: 90_000 }, async () => {
    const [port, dynamoPort] = [await freePort(), await freePort()];
    const dataDir = await mkdtemp(join(tmpdir(), 'rampart-start-'));
    const s = start({ PORT: String(port), RAMPART_DYNAMODB_PORT: String(dynamoPort), RAMPART_DATA_DIR: dataDir }, ['--persist']);
    running.push(s);
    await waitFor(() => s.stdout().includes('Press Ctrl-C to stop.') || s.child.exitCode !== null, 'start-up');
    expect(s.stderr()).toBe('');
    expect(s.stdout()).toContain(`http://127.0.0.1:${port}`);
    expect(s.stdout()).toContain(`http://127.0.0.1:${dynamoPort}`);
    expect(s.stdout()).toContain('rampart-local');

    const health = await httpRequest(`http://127.0.0.1:${port}`, 'GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    expect(existsSync(join(dataDir, 'keys', 'root.key'))).toBe(true);
    // The PII key's stand-in: a second key file beside the root key, private to its owner, not a copy.
    const piiKeyFile = join(dataDir, 'keys', 'pii-root.key');
    expect(statSync(piiKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(piiKeyFile).equals(readFileSync(join(dataDir, 'keys', 'root.key')))).toBe(false);
    expect(s.stdout()).toContain(piiKeyFile);
    expect(existsSync(join(dataDir, 'dynamodb'))).toBe(true);

    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    // DynamoDB Local (Java) went down with it.
    expect(await isPortFree(dynamoPort)).toBe(true);
    expect(await isPortFree(port)).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    'stops all of it (gateway and Java) when npm itself gets %s, and starts in memory with an empty outbox',
    { timeout: 90_000 },
    async (signal) => {
      const [port, dynamoPort] = [await freePort(), await freePort()];
      const dataDir = await mkdtemp(join(tmpdir(), 'rampart-start-'));
      await mkdir(join(dataDir, 'outbox'), { recursive: true });
      await writeFile(join(dataDir, 'outbox', 'from-an-earlier-run.json'), '{}');
      const npm = spawn('npm', ['start'], {
        cwd: ROOT,
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', PORT: String(port), RAMPART_DYNAMODB_PORT: String(dynamoPort), RAMPART_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((res) => npm.once('exit', () => res()));
      running.push({ child: npm, stdout: () => out, stderr: () => '', exited: exited.then(() => 0) });
      await waitFor(() => out.includes('Press Ctrl-C to stop.') || npm.exitCode !== null, 'start-up');
      expect(existsSync(join(dataDir, 'outbox', 'from-an-earlier-run.json'))).toBe(false);

      npm.kill(signal);
      await exited;
      // Whatever npm did with the signal, nothing it started may go on holding a port.
      const deadline = Date.now() + 15_000;
      while (!((await isPortFree(port)) && (await isPortFree(dynamoPort)))) {
        if (Date.now() > deadline) throw new Error(`ports still held after npm got ${signal}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  );

  it('exits non-zero with one clear line when the gateway port is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    blockers.push(blocker);
    const s = start({ PORT: String(port), RAMPART_DYNAMODB_PORT: String(await freePort()), RAMPART_DATA_DIR: await mkdtemp(join(tmpdir(), 'rampart-start-')) });
    running.push(s);
    expect(await s.exited).toBe(1);
    expect(s.stderr().trim().split('\n')).toEqual([`rampart: Port ${port} is already in use (set PORT to use another).`]);
  });

  it('exits non-zero with one clear line when the data directory is not writable', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'rampart-start-')), 'a-file');
    await writeFile(file, '');
    const s = start({ PORT: String(await freePort()), RAMPART_DYNAMODB_PORT: String(await freePort()), RAMPART_DATA_DIR: join(file, 'data') });
    running.push(s);
    expect(await s.exited).toBe(1);
    const lines = s.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rampart: The data directory .* is not writable/);
  });

  it('exits non-zero with one clear line when Java is missing', async () => {
    const s = start({
      PATH: '/nonexistent',
      PORT: String(await freePort()),
      RAMPART_DYNAMODB_PORT: String(await freePort()),
      RAMPART_DATA_DIR: await mkdtemp(join(tmpdir(), 'rampart-start-')),
    });
    running.push(s);
    expect(await s.exited).toBe(1);
    expect(s.stderr().trim().split('\n')).toEqual(['rampart: Java 17 or newer is required to run DynamoDB Local, and `java` was not found on PATH.']);
  });
});
