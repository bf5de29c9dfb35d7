import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { ensureTable, startDynamoDbLocal } from '../../local/dynamodb-local';
import { freePort } from './ports';

export const TEST_TABLE = 'rampart-test';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    tableName: string;
    /** One root key (hex) for every test platform of the run: they share one table, as functions share one KMS key. */
    testRootKey: string;
    /** The run's PII key (hex), shared the same way: every user's data key is wrapped under it. */
    testPiiKey: string;
  }
}

/** One DynamoDB Local (in memory) for the whole run; every test makes its own data in one table. */
export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  await ensureTable(dynamo.endpoint, TEST_TABLE);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('tableName', TEST_TABLE);
  project.provide('testRootKey', randomBytes(32).toString('hex'));
  project.provide('testPiiKey', randomBytes(32).toString('hex'));
  return async () => {
    await dynamo.stop();
  };
}
