import type { EmailIndex } from '../accounts/email-index';
import type { Logger } from '../logging/logger';
import { consumeRateLimit } from '../rate-limit/consume';
import { NamedBuckets } from '../rate-limit/policies';
import { RateLimitedError } from '../errors';
import type { Table } from '../storage/table';
import type { MailMessage, Mailer } from './mailer';

/**
 * Every mail Rampart sends goes through here, so that every mail to an address counts against that
 * address's budget (`NamedBuckets.mailByEmail`, counted by the address's keyed lookup hash): a
 * flood of signups, resends, resets or invitations cannot fill someone's inbox.
 *
 * - `spendMailBudget` before a request mails someone who did not ask (signup, resend, reset,
 *   invitation): over budget, the request is refused (429), whoever the address belongs to.
 * - `sendNotice` for security notices (password changed, account deleted, second factor locked):
 *   counted, but always sent, so that a flood cannot silence them.
 */

interface MailDeps {
  readonly table: Table;
  readonly emailIndex: EmailIndex;
  readonly mailer: Mailer;
}

/** Takes one mail from the address's budget. @throws RateLimitedError (429) when it is spent. */
export async function spendMailBudget(deps: Pick<MailDeps, 'table' | 'emailIndex'>, address: string): Promise<void> {
  await consumeRateLimit(deps.table, { ...NamedBuckets.mailByEmail, subject: [await deps.emailIndex.lookupHash(address)] });
}

/**
 * Sends a message whose budget was spent (`spendMailBudget`). A failure is logged, not thrown: the
 * change that asked for the mail has committed, and a retry would repeat it.
 */
export async function sendMail(deps: Pick<MailDeps, 'mailer'>, logger: Logger, message: MailMessage): Promise<void> {
  try {
    await deps.mailer.send(message);
  } catch (error) {
    logger.error('Could not send mail', { error, subject: message.subject });
  }
}

/** Sends a security notice: it counts against the address's budget, and goes out whatever the budget says. */
export async function sendNotice(deps: MailDeps, logger: Logger, message: MailMessage): Promise<void> {
  await spendMailBudget(deps, message.to).catch((error: unknown) => {
    if (!(error instanceof RateLimitedError)) logger.warn('Could not count a notice against its address', { error });
  });
  await sendMail(deps, logger, message);
}
