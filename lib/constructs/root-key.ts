import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KmsActions } from '../iam-actions';

export interface RootKeyProps {
  /** Alias name, e.g. `alias/rampart-prod-root`. */
  readonly aliasName: string;
  /**
   * What happens to the key when it leaves the stack. Losing it loses every org key wrapped under it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The customer-managed root key of the envelope hierarchy (root key → per-org data keys). It never
 * leaves KMS; functions ask KMS to wrap and unwrap org keys under an encryption context.
 */
export class RootKey extends Construct {
  readonly key: kms.Key;
  readonly alias: kms.Alias;

  constructor(scope: Construct, id: string, props: RootKeyProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: 'Rampart root key: wraps per-organization data keys (envelope encryption)',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.alias = this.key.addAlias(props.aliasName);
    this.alias.applyRemovalPolicy(removalPolicy);
  }

  get keyArn(): string {
    return this.key.keyArn;
  }

  /**
   * Grants wrapping under the root key, only with an encryption context: the key provider always
   * binds data keys to what they protect, so a call without one is not ours and is refused.
   */
  grantWrap(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...KmsActions.wrap],
      resourceArns: [this.key.keyArn],
      conditions: { Null: { 'kms:EncryptionContextKeys': 'false' } },
    });
  }

  /**
   * Grants unwrapping only for data keys whose context names one of `purposes`: a function that may
   * open TOTP secrets cannot open an organization key, whose purpose is `org-key`.
   */
  grantUnwrap(grantee: iam.IGrantable, purposes: readonly string[]): iam.Grant | undefined {
    if (purposes.length === 0) return undefined;
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...KmsActions.unwrap],
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:purpose': [...purposes] } },
    });
  }
}
