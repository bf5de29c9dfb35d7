import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KmsActions } from '../iam-actions';

export interface RootKeyProps {
  /** Alias name, e.g. `alias/rampart-prod-root`. */
  readonly aliasName: string;
  /**
   * What the key is for, as KMS shows it.
   * @default 'Rampart root key: wraps per-organization data keys (envelope encryption)'
   */
  readonly description?: string;
  /**
   * What happens to the key when it leaves the stack. Losing it loses every data key wrapped under it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A customer-managed KMS key at the root of an envelope hierarchy: the root key (→ per-org data
 * keys) and the PII key (→ per-user data keys). It never leaves KMS; functions ask KMS to wrap and
 * unwrap data keys under an encryption context, and grants name the context's `purpose`.
 */
export class RootKey extends Construct {
  readonly key: kms.Key;
  readonly alias: kms.Alias;

  constructor(scope: Construct, id: string, props: RootKeyProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: props.description ?? 'Rampart root key: wraps per-organization data keys (envelope encryption)',
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
   * Grants wrapping under the key, only with an encryption context: the key provider always binds
   * data keys to what they protect, so a call without one is not ours and is refused. With
   * `purposes`, only contexts whose `purpose` is one of them (none given: no grant at all).
   */
  grantWrap(grantee: iam.IGrantable, purposes?: readonly string[]): iam.Grant | undefined {
    if (purposes?.length === 0) return undefined;
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...KmsActions.wrap],
      resourceArns: [this.key.keyArn],
      conditions: purposes ? { StringEquals: { 'kms:EncryptionContext:purpose': [...purposes] } } : { Null: { 'kms:EncryptionContextKeys': 'false' } },
    });
  }

  /**
   * Grants unwrapping only for data keys whose context names one of `purposes`: a function that may
   * open signing keys cannot open an organization key, whose purpose is `org-key`.
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
