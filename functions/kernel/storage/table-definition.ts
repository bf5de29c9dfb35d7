/**
 * The single table's physical shape: key schema, indexes and TTL attribute. The CDK data stack and
 * the local platform both build the table from this object, so they cannot drift apart.
 */
export const TableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes expired items in the background, so readers also check it. */
  ttlAttribute: 'expiresAt',
  /** Optimistic-locking counter on every mutable entity. */
  versionAttribute: 'version',
  indexes: {
    /**
     * Overloaded secondary access patterns; each entity that needs one declares its gsi1 template
     * (docs/data-model.md lists them). Projects all attributes so a query needs no second read.
     */
    gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  },
} as const;

export type IndexName = keyof typeof TableDefinition.indexes;

/** Every attribute that can be part of a key, and so of a pagination cursor. */
export const KEY_ATTRIBUTES = [
  TableDefinition.partitionKey,
  TableDefinition.sortKey,
  ...Object.values(TableDefinition.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
] as const;

/** CreateTable input for DynamoDB Local, derived from the definition above. */
export function createTableInput(tableName: string) {
  const attributeNames = [...new Set(KEY_ATTRIBUTES)];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributeNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TableDefinition.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TableDefinition.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: Object.entries(TableDefinition.indexes).map(([IndexName, index]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
