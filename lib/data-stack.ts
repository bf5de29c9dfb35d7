import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RampartTable } from './constructs/rampart-table';
import { RootKey } from './constructs/root-key';

export interface DataStackProps extends StackProps {
  readonly stage: string;
}

/** State that outlives every deployment: the single table (and its key) and the root key. */
export class DataStack extends Stack {
  readonly table: RampartTable;
  readonly rootKey: RootKey;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.table = new RampartTable(this, 'Table');
    this.rootKey = new RootKey(this, 'RootKey', { aliasName: `alias/rampart-${props.stage}-root` });
  }
}
