import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct, Node } from 'constructs';
import { SesActions } from './iam-actions';

/** The CDK context keys that configure outgoing mail: `cdk deploy -c mailFrom=… -c mailIdentity=…`. */
export const MailContext = { from: 'mailFrom', identity: 'mailIdentity' } as const;

/**
 * Used when the context does not set them, so that synth and tests work offline. SES refuses to send
 * from an unverified identity, so a deployment with these sends no mail until they are set.
 */
export const DEFAULT_MAIL = { from: 'no-reply@example.com', identity: 'example.com' } as const;

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`, 'i');
/** A bare address (no display name): the `ses:FromAddress` condition compares exactly this. */
const ADDRESS = /^([^\s@<>"(),;:\\[\]]+)@([^\s@]+)$/;

export interface MailSenderProps {
  /** The From address of every message, e.g. `no-reply@mail.example.org` (`RAMPART_MAIL_FROM`). */
  readonly from: string;
  /** The verified SES identity `from` belongs to: its domain (`mail.example.org`) or the address itself. */
  readonly identity: string;
}

/**
 * Where Rampart's mail comes from: one verified SES identity and one From address in it. Functions
 * are told the address; only those granted `grantSendMail` may send, and only from that address.
 */
export class MailSender {
  readonly from: string;
  readonly identity: string;

  /** Reads `mailFrom` and `mailIdentity` from the context, falling back to `DEFAULT_MAIL`. */
  static fromContext(node: Node): MailSender {
    const read = (key: string, fallback: string) => {
      const value = node.tryGetContext(key);
      return value === undefined ? fallback : String(value);
    };
    return new MailSender({ from: read(MailContext.from, DEFAULT_MAIL.from), identity: read(MailContext.identity, DEFAULT_MAIL.identity) });
  }

  constructor(props: MailSenderProps) {
    const address = ADDRESS.exec(props.from);
    if (!address || !DOMAIN.test(address[2]!)) {
      throw new Error(`Invalid ${MailContext.from} "${props.from}": use a bare email address such as no-reply@mail.example.org`);
    }
    const identityIsAddress = props.identity.includes('@');
    if (identityIsAddress ? props.identity.toLowerCase() !== props.from.toLowerCase() : !DOMAIN.test(props.identity)) {
      throw new Error(`Invalid ${MailContext.identity} "${props.identity}": use the SES identity of ${props.from}, its domain or the address itself`);
    }
    if (!identityIsAddress && address[2]!.toLowerCase() !== props.identity.toLowerCase()) {
      throw new Error(`${MailContext.from} "${props.from}" is not an address of the SES identity "${props.identity}"`);
    }
    this.from = props.from;
    this.identity = props.identity;
  }

  /** Whether this is the offline placeholder rather than a configured sender. */
  get isDefault(): boolean {
    return this.from === DEFAULT_MAIL.from && this.identity === DEFAULT_MAIL.identity;
  }

  /** `arn:<partition>:ses:<region>:<account>:identity/<identity>` in the stack of `scope`. */
  identityArn(scope: IConstruct): string {
    return Arn.format({ service: 'ses', resource: 'identity', resourceName: this.identity, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, Stack.of(scope));
  }

  /** Allows `ses:SendEmail` on the identity, only with `from` as the From address. */
  grantSendMail(grantee: iam.IGrantable & IConstruct): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...SesActions.sendEmail],
      resourceArns: [this.identityArn(grantee)],
      conditions: { StringEquals: { 'ses:FromAddress': this.from } },
    });
  }
}
