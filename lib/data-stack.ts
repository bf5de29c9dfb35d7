import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RampartTable } from './constructs/rampart-table';
import { RootKey } from './constructs/root-key';

export interface DataStackProps extends StackProps {
  readonly stage: string;
}

/** State that outlives every deployment: the single table (and its key), the root key and the PII key. */
export class DataStack extends Stack {
  readonly table: RampartTable;
  readonly rootKey: RootKey;
  /**
   * The second root: it wraps one data key per user, which seals that user's personal data.
   * Deleting an account deletes its wrapped key (crypto-shredding), so the key itself stays.
   */
  readonly piiKey: RootKey;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.table = new RampartTable(this, 'Table');
    this.rootKey = new RootKey(this, 'RootKey', { aliasName: `alias/rampart-${props.stage}-root` });
    this.piiKey = new RootKey(this, 'PiiKey', {
      aliasName: `alias/rampart-${props.stage}-pii`,
      description: 'Rampart PII key: wraps per-user data keys that seal personal data (crypto-shredding on account deletion)',
    });
  }
}
