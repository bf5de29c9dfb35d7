import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

/** HTTP to a local gateway, without vitest: test helpers and benchmarks share it. */

/** A random address in 127.0.0.0/8 (all loopback on Linux), avoiding 127.0.0.1 itself. */
export const randomLoopbackIp = () => `127.${1 + (randomBytes(1)[0]! % 250)}.${randomBytes(1)[0]!}.${1 + (randomBytes(1)[0]! % 250)}`;

export interface RequestInit {
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  /** A loopback address to send from (127.0.0.0/8); the gateway sees it as the source IP. */
  readonly sourceIp?: string;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

/**
 * A plain HTTP request (node:http, not fetch: API Gateway passes a body on GET, and tests must be
 * able to send one).
 */
export function httpRequest(
  baseUrl: string,
  method: string,
  path: string,
  init: RequestInit = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method, headers, ...(init.sourceIp ? { localAddress: init.sourceIp } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) responseHeaders.set(k, Array.isArray(v) ? v.join(', ') : v);
        }
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
