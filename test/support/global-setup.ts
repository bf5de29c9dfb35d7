import type { TestProject } from 'vitest/node';
import { ensureTable, startDynamoDbLocal } from '../../local/dynamodb-local';
import { freePort } from './ports';

export const TEST_TABLE = 'rampart-test';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    tableName: string;
  }
}

/** One DynamoDB Local (in memory) for the whole run; every test makes its own data in one table. */
export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  await ensureTable(dynamo.endpoint, TEST_TABLE);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('tableName', TEST_TABLE);
  return async () => {
    await dynamo.stop();
  };
}
