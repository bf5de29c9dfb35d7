import { access, constants, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { installPlatform } from '../functions/kernel/platform/platform';
import { routeTable } from '../functions/routes';
import { ensureTable, startDynamoDbLocal, StartupError } from './dynamodb-local';
import { startGateway } from './gateway';
import { LocalKeyProvider } from './local-key-provider';
import { localPlatform } from './platform';
import { readFileSync } from 'node:fs';

/**
 * `npm start`: the whole platform on one machine. DynamoDB Local (in memory, or persisted with
 * --persist), the local key provider, the in-process event bus and the local gateway in front of
 * the same handler modules Lambda runs.
 */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const persist = argv.includes('--persist');
  const unknown = argv.filter((a) => a !== '--persist');
  if (unknown.length > 0) throw new StartupError(`Unknown option ${unknown[0]}; the only option is --persist.`);
  const dataDir = resolve(env.RAMPART_DATA_DIR ?? '.rampart');
  const port = portFrom(env, 'PORT', 3000);
  const dynamoPort = portFrom(env, 'RAMPART_DYNAMODB_PORT', 8000);
  const tableName = env.RAMPART_TABLE_NAME ?? 'rampart-local';
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  await assertWritable(dataDir);
  await assertPortFree(dynamoPort, 'RAMPART_DYNAMODB_PORT');
  await assertPortFree(port, 'PORT');

  if (persist) await mkdir(join(dataDir, 'dynamodb'), { recursive: true, mode: 0o700 });
  // In memory, the accounts of an earlier run are gone: so are the tokens mailed to them.
  else await rm(join(dataDir, 'outbox'), { recursive: true, force: true });
  const dynamo = await startDynamoDbLocal({ port: dynamoPort, ...(persist ? { dbPath: join(dataDir, 'dynamodb') } : {}) });
  const stopping: Array<() => Promise<void>> = [() => dynamo.stop()];
  let closing: Promise<void> | undefined;
  const shutdown = (code: number) =>
    (closing ??= (async () => {
      for (const stop of [...stopping].reverse()) await stop().catch(() => undefined);
      process.exit(code);
    })());
  // Every signal that ends a terminal session or a process manager's child ends all of it, Java
  // included; and if whatever started us dies without a signal, we notice and stop too.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void shutdown(0));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(0);
  }, 1_000).unref();

  try {
    await ensureTable(dynamo.endpoint, tableName);
    const keyFile = join(dataDir, 'keys', 'root.key');
    const keys = await LocalKeyProvider.fromFile(keyFile);
    // The PII key's stand-in: a second root key beside the first, as KMS holds two keys.
    const piiKeyFile = join(dataDir, 'keys', 'pii-root.key');
    const piiKeys = await LocalKeyProvider.fromFile(piiKeyFile);
    const platform = localPlatform({ endpoint: dynamo.endpoint, tableName, keys, piiKeys, version, outboxDirectory: join(dataDir, 'outbox'), appUrl: `http://127.0.0.1:${port}` });
    installPlatform(platform);
    stopping.push(() => platform.events.drain());
    const gateway = await startGateway({ routes: routeTable, port });
    stopping.push(() => gateway.close());

    console.log(
      [
        `Rampart ${version} is running locally.`,
        `  API             ${gateway.url}  (try ${gateway.url}/v1/health)`,
        `  OpenAPI         ${gateway.url}/v1/openapi.json`,
        `  DynamoDB Local  ${dynamo.endpoint}  table ${tableName}  (${persist ? `persisted in ${join(dataDir, 'dynamodb')}` : 'in memory'}; any credentials, region ${'us-east-1'})`,
        `  Root key        ${keyFile}  (${keys.rootKeyId})`,
        `  PII key         ${piiKeyFile}  (${piiKeys.rootKeyId})`,
        `  Mail outbox     ${join(dataDir, 'outbox')}`,
        `  Data directory  ${dataDir}`,
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
  } catch (error) {
    await shutdown(1).catch(() => undefined);
    throw error;
  }
}

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartupError(`${name} must be a port number (1-65535), not "${raw}".`);
  return port;
}

async function assertWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
    const probe = join(dir, `.write-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch {
    throw new StartupError(`The data directory ${dir} is not writable (set RAMPART_DATA_DIR to another directory).`);
  }
}

async function assertPortFree(port: number, variable: string): Promise<void> {
  await new Promise<void>((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          error.code === 'EADDRINUSE'
            ? `Port ${port} is already in use (set ${variable} to use another).`
            : `Port ${port} cannot be used: ${error.code ?? error.message} (set ${variable} to use another).`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort()));
  });
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  const message = error instanceof StartupError ? error.message : `could not start: ${(error as Error)?.message ?? String(error)}`;
  console.error(`rampart: ${message}`);
  process.exit(1);
});
