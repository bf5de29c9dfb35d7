// Loads a bundled domain function in a plain Node process (as Lambda would) and invokes it with
// API Gateway proxy events that need no AWS call. Prints one JSON line per response.
// Usage: node invoke-bundle.mjs <bundle file> '<json array of [resource, path, method]>'
import { pathToFileURL } from 'node:url';

const [bundle, requests] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);
const context = { awsRequestId: 'bundle-test', functionName: 'bundle-test', getRemainingTimeInMillis: () => 10_000 };
for (const [resource, path, httpMethod] of JSON.parse(requests)) {
  const event = {
    resource,
    path,
    httpMethod,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'bundle-test', resourcePath: resource, httpMethod, path, stage: 'v1', identity: { sourceIp: '192.0.2.1', userAgent: 'bundle-test' } },
  };
  const response = await handler(event, context);
  console.log(JSON.stringify({ statusCode: response.statusCode, body: JSON.parse(response.body) }));
}
