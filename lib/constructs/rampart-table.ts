import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KeyPrefix } from '../../functions/kernel/storage/keys';
import { TableDefinition } from '../../functions/kernel/storage/table-definition';
import { DynamoDbActions, KmsActions } from '../iam-actions';

export interface RampartTableProps {
  /**
   * What happens to the table and its key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether DeleteTable is refused until this is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** Every attribute of a key in the table is a string (see `createTableInput`). */
const stringKey = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

/**
 * The single table, built from `TableDefinition` (keys, indexes, TTL) so that the deployed table
 * and DynamoDB Local cannot drift apart; encrypted with its own customer-managed key.
 */
export class RampartTable extends Construct {
  readonly table: dynamodb.Table;
  /** The customer-managed key the table is encrypted with (rotated yearly). */
  readonly encryptionKey: kms.Key;

  constructor(scope: Construct, id: string, props: RampartTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: 'Rampart single table: encryption at rest',
      enableKeyRotation: true,
      removalPolicy,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: stringKey(TableDefinition.partitionKey),
      sortKey: stringKey(TableDefinition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      timeToLiveAttribute: TableDefinition.ttlAttribute,
    });

    for (const [indexName, index] of Object.entries(TableDefinition.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /** The table's ARN and each index's ARN by name: grants never need an `index/*` wildcard. */
  get itemResourceArns(): string[] {
    const tableArn = this.table.tableArn;
    return [tableArn, ...Object.keys(TableDefinition.indexes).map((name) => `${tableArn}/index/${name}`)];
  }

  /**
   * Grants item-level access (get, put, update, delete, query, condition check; transactions are
   * authorised per item) and, in the same breath, denies every mutation of an audit partition
   * (`dynamodb:LeadingKeys` starting with `KeyPrefix.audit`): nothing can hold write access to the
   * table without also being unable to rewrite or delete the audit trail. DynamoDB's use of the
   * table key on the grantee's behalf is granted only through DynamoDB (`kms:ViaService`).
   */
  grantItemAccess(grantee: iam.IGrantable): iam.Grant {
    const resourceArns = this.itemResourceArns;
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [...DynamoDbActions.itemAccess], resourceArns });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DenyAuditRecordMutation',
        effect: iam.Effect.DENY,
        actions: [...DynamoDbActions.itemMutation],
        resources: resourceArns,
        conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${KeyPrefix.audit}*`] } },
      }),
    );
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...KmsActions.tableKeyViaDynamoDb],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}` } },
    });
    return grant;
  }
}
