import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiContext, ApiRequest } from '../../functions/kernel/http/types';

/** A middy request as the pipeline steps see it, for their unit tests. */
export function testRequest(event: Partial<APIGatewayProxyEvent> = {}, internal: ApiRequest['internal'] = {}): ApiRequest {
  return {
    event: { headers: {}, resource: '/', httpMethod: 'GET', pathParameters: null, queryStringParameters: null, body: null, ...event } as APIGatewayProxyEvent,
    context: {} as ApiContext,
    response: undefined,
    error: undefined,
    internal,
  };
}
