import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, Handler } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FALLBACK_DOMAIN, type Domain } from '../functions/kernel/domains';
import { FALLBACK_RESOURCE } from '../functions/kernel/http/resolve-route';
import type { Route } from '../functions/kernel/http/route';
import { RouteMatcher } from '../functions/kernel/http/route-matcher';
import { SECURITY_HEADERS } from '../functions/kernel/http/security-headers';

type ApiHandler = Handler<APIGatewayProxyEvent, APIGatewayProxyResult>;
export type HandlerLoader = (domain: Domain) => Promise<ApiHandler>;

/** Loads `functions/<domain>/handler.ts`: the very module the domain's Lambda function runs. */
export const loadHandlerModule: HandlerLoader = async (domain) => {
  const module = (await import(`../functions/${domain}/handler.ts`)) as { handler: ApiHandler };
  return module.handler;
};

/** API Gateway's own payload limit; the pipeline's 64 KiB limit applies below it. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout. */
const INTEGRATION_TIMEOUT_MS = 29_000;
const STAGE = 'local';

export interface GatewayOptions {
  readonly routes: readonly Route[];
  readonly port: number;
  readonly host?: string;
  readonly loadHandler?: HandlerLoader;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The local stand-in for API Gateway: turns each HTTP request into the REST API proxy event (v1)
 * that the deployed API sends, routed exactly as the CDK stack wires it (route table resources to
 * their domain function; other methods and unknown paths to the platform function), and invokes
 * the same handler module Lambda runs.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const matcher = new RouteMatcher(options.routes);
  const loadHandler = options.loadHandler ?? loadHandlerModule;
  const handlers = new Map<Domain, Promise<ApiHandler>>();
  const handlerFor = (domain: Domain) => {
    let handler = handlers.get(domain);
    if (!handler) handlers.set(domain, (handler = loadHandler(domain)));
    return handler;
  };

  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      console.error('local gateway: integration failure', error);
      if (!res.headersSent) gatewayError(res, 502, 'internal_error', 'The integration failed.');
      else res.destroy();
    });
  });

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (body === 'too_large') return gatewayError(res, 413, 'payload_too_large', 'The request body is too large.');
    const url = new URL(req.url ?? '/', 'http://gateway.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const match = safeMatch(matcher, url.pathname);
    const route = match ? matcher.route(match.resource, method) : undefined;
    const domain: Domain = route?.domain ?? FALLBACK_DOMAIN;
    const resource = match?.resource ?? FALLBACK_RESOURCE;
    const pathParameters = match ? match.pathParameters : { proxy: url.pathname.slice(1) };
    const event = proxyEvent(req, url, method, resource, pathParameters, body);
    const handler = await handlerFor(domain);
    const result = await withTimeout(
      Promise.resolve(handler(event, lambdaContext(domain), () => undefined) as Promise<APIGatewayProxyResult>),
      INTEGRATION_TIMEOUT_MS,
    );
    if (!result) return gatewayError(res, 504, 'service_unavailable', 'The integration timed out.');
    writeResult(res, result);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

function safeMatch(matcher: RouteMatcher, pathname: string) {
  const match = matcher.match(pathname);
  if (!match) return undefined;
  try {
    const decoded: Record<string, string> = {};
    for (const [k, v] of Object.entries(match.pathParameters)) decoded[k] = decodeURIComponent(v);
    return { resource: match.resource, pathParameters: decoded };
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > GATEWAY_MAX_BODY_BYTES) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function proxyEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  resource: string,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = new Date();
  const requestId = randomUUID();
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  return {
    resource,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body: body.byteLength > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/${STAGE}${url.pathname}`,
      stage: STAGE,
      requestId,
      extendedRequestId: requestId,
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: resource,
      domainName: req.headers.host ?? 'localhost',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

function lambdaContext(domain: Domain): Context {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `rampart-${domain}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:rampart-${domain}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/rampart-${domain}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) res.setHeader(name, values.map(String));
  res.statusCode = result.statusCode;
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

/** Errors the gateway itself produces carry the same JSON shape and headers (CDK gateway responses match). */
function gatewayError(res: ServerResponse, status: number, code: string, message: string): void {
  const requestId = randomUUID();
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'x-request-id': requestId });
  res.end(JSON.stringify({ error: { code, message, requestId } }));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
