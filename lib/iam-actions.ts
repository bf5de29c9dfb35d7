/**
 * Every IAM action Rampart grants or denies, named once. Grants are built from these lists, never
 * from loose strings, and never from wildcards: a new permission is a reviewed line here.
 */

/** DynamoDB actions on the single table. */
export const DynamoDbActions = {
  /**
   * Item-level access for domain functions: one named access pattern is one Query; writes are
   * single-item (conditional) or transactional. TransactWriteItems/TransactGetItems have no IAM
   * action of their own: DynamoDB authorises each item in a transaction with PutItem, UpdateItem,
   * DeleteItem, GetItem or ConditionCheckItem. No Scan, no batch writes, no PartiQL.
   */
  itemAccess: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
  ],
  /**
   * Every action that could change or remove an existing item. Denied on audit partitions, so an
   * audit record, once written, cannot be rewritten or deleted by any function (transactions included).
   */
  itemMutation: [
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:PartiQLUpdate',
    'dynamodb:PartiQLDelete',
  ],
} as const;

/** KMS actions. */
export const KmsActions = {
  /** Envelope encryption under the root key: wrap (GenerateDataKey/Encrypt) and unwrap (Decrypt). */
  /** Wrap under the root key: make and wrap data keys (any function, always with a context). */
  wrap: ['kms:GenerateDataKey', 'kms:Encrypt'],
  /** Unwrap: granted per encryption-context purpose (see lib/capabilities.ts). */
  unwrap: ['kms:Decrypt'],
  /**
   * What DynamoDB does with the table key on the caller's behalf when it reads or writes an item of
   * a table encrypted with a customer-managed key. Granted only through DynamoDB (kms:ViaService).
   */
  tableKeyViaDynamoDb: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
} as const;

/** EventBridge actions. */
export const EventsActions = {
  publish: ['events:PutEvents'],
} as const;

/** CloudWatch Logs actions. */
export const LogsActions = {
  /** What a function needs to write to its own, pre-created log group. */
  writeToGroup: ['logs:CreateLogStream', 'logs:PutLogEvents'],
} as const;

/** AWS X-Ray actions: these do not support resource-level permissions (Resource must be `*`). */
export const XRayActions = {
  publishTraces: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
} as const;

/**
 * Amazon SES actions. The SES v2 API's SendEmail is authorised as `ses:SendEmail` on the identity
 * the mail is sent from (and on a configuration set, if one is used; Rampart uses none).
 */
export const SesActions = {
  sendEmail: ['ses:SendEmail'],
} as const;
