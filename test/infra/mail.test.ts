import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiDomains, BackgroundDomains, type Domain } from '../../functions/kernel/domains';
import { PlatformEnv } from '../../functions/kernel/platform/aws';
import { createRampartApp } from '../../lib/app';
import { DEFAULT_APP_URL } from '../../lib/app-url';
import { capabilitiesOf, DomainCapabilities, type DomainCapabilityMap } from '../../lib/capabilities';
import { DataStack } from '../../lib/data-stack';
import { EventsStack } from '../../lib/events-stack';
import { SesActions } from '../../lib/iam-actions';
import { DEFAULT_MAIL, MailSender } from '../../lib/mail-sender';
import {
  actionsOf,
  identityStatements,
  type PolicyStatementJson,
  referencedLogicalId,
  resourcesOfStatement,
  SKIP_BUNDLING,
  statementsOfRole,
  WITHOUT_CHECKS,
} from './support/templates';

type Built = ReturnType<typeof createRampartApp>;

/** An app and one template per stack, synthesized once (each `Template.fromStack` synthesizes the app). */
interface Synthesized {
  readonly built: Built;
  readonly templates: readonly Template[];
  readonly api: Template;
}

function synthesize(context: Record<string, unknown>): Synthesized {
  const built = createRampartApp({ context: { ...SKIP_BUNDLING, ...context } }, WITHOUT_CHECKS);
  const [data, events, api] = [built.data, built.events, built.api].map((stack) => Template.fromStack(stack));
  return { built, templates: [data!, events!, api!], api: api! };
}

const FIXTURE_FUNCTIONS = fileURLToPath(new URL('./fixtures/functions', import.meta.url));
const FUNCTIONS = fileURLToPath(new URL('../../functions', import.meta.url));

/** A call that sends mail: the kernel mail module's `sendMail(` / `sendNotice(`, or the mailer port itself. */
const SENDS_MAIL = /\b(?:sendMail|sendNotice)\(|\.mailer\.send\(/;

/** The source files of a directory, at any depth, without tests. */
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });

/** The domains whose code (functions/<domain>/) sends mail. */
const mailingDomains = () => [...ApiDomains, ...BackgroundDomains].filter((domain) => sourceFiles(join(FUNCTIONS, domain)).some((file) => SENDS_MAIL.test(readFileSync(file, 'utf8'))));

/** `arn:<partition>:ses:<region>:<account>:identity/<identity>` as an environment-agnostic stack writes it. */
const identityArn = (identity: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:identity/${identity}`]],
});

const sendMailStatement = (from: string, identity: string): PolicyStatementJson => ({
  Effect: 'Allow',
  Action: 'ses:SendEmail',
  Resource: identityArn(identity),
  Condition: { StringEquals: { 'ses:FromAddress': from } },
});

const isSes = (s: PolicyStatementJson) => actionsOf(s).some((a) => a.toLowerCase().startsWith('ses:') || a === '*');

/** Every function of every stack with the SES statements of its role. */
function functionsOf({ templates }: Synthesized) {
  return templates.flatMap((t) => {
    return Object.entries(t.findResources('AWS::Lambda::Function')).map(([id, r]) => ({
      id,
      env: r.Properties.Environment.Variables as Record<string, unknown>,
      ses: statementsOfRole(t, referencedLogicalId(r.Properties.Role)!).filter(isSes),
    }));
  });
}

const sesOfDomain = ({ built, api }: Synthesized, domain: string) => {
  const fn = built.api.functions.get(domain as Domain)!;
  return statementsOfRole(api, built.api.getLogicalId(fn.role.node.defaultChild as never)).filter(isSes);
};

/** The SES statements of a domain's event consumer, or `undefined` when the domain has none. */
const sesOfConsumer = ({ built, templates }: Synthesized, domain: string) => {
  const consumer = built.events.consumers.find((c) => c.node.id === `${domain}Consumer`)?.consumer;
  return consumer && statementsOfRole(templates[1]!, built.events.getLogicalId(consumer.role.node.defaultChild as never)).filter(isSes);
};

describe('mail wiring', () => {
  describe('with the default context', () => {
    let app: Synthesized;

    beforeAll(() => {
      app = synthesize({});
    });

    it('tells every function of every stack the default From address and app URL', () => {
      const fns = functionsOf(app);
      expect(fns.length).toBeGreaterThan(0);
      for (const { id, env } of fns) {
        expect(env[PlatformEnv.mailFrom], id).toBe(DEFAULT_MAIL.from);
        expect(env[PlatformEnv.appUrl], id).toBe(DEFAULT_APP_URL);
      }
    });

    it('lets the identity function send, with exactly ses:SendEmail on the identity and only from the From address', () => {
      expect(app.built.api.functions.has('identity')).toBe(true);
      expect(sesOfDomain(app, 'identity')).toEqual([sendMailStatement(DEFAULT_MAIL.from, DEFAULT_MAIL.identity)]);
    });

    it('gives an SES statement to exactly the functions of domains with the sendMail capability', () => {
      for (const domain of app.built.api.functions.keys()) {
        expect(sesOfDomain(app, domain), domain).toHaveLength(capabilitiesOf(domain).includes('sendMail') ? 1 : 0);
      }
      expect(sesOfDomain(app, 'platform')).toEqual([]);
      for (const { id, ses } of functionsOf(app)) expect(ses.length, id).toBeLessThanOrEqual(1);
    });

    it('lets every function of every domain whose code sends mail send it', () => {
      const domains = mailingDomains();
      // Invitations (orgs) and account mail (identity): the scan is not blind.
      expect(domains).toEqual(expect.arrayContaining(['identity', 'orgs']));
      expect(SENDS_MAIL.test('await ctx.platform.mailer.send(message)') && SENDS_MAIL.test('sendNotice(ctx.platform, ctx.logger, m)')).toBe(true);
      for (const domain of domains) {
        expect(capabilitiesOf(domain), domain).toContain('sendMail');
        const fns = [app.built.api.functions.has(domain as Domain) ? sesOfDomain(app, domain) : undefined, sesOfConsumer(app, domain)].filter((ses) => ses !== undefined);
        expect(fns.length, `${domain} has a function`).toBeGreaterThan(0);
        for (const ses of fns) expect(ses, domain).toEqual([sendMailStatement(DEFAULT_MAIL.from, DEFAULT_MAIL.identity)]);
      }
    });

    it('allows no other SES action, and none on a wildcard resource, anywhere', () => {
      const ses = app.templates.flatMap(identityStatements).filter(isSes);
      expect(ses.length).toBeGreaterThan(0);
      for (const statement of ses) {
        expect(actionsOf(statement)).toEqual([...SesActions.sendEmail]);
        expect(JSON.stringify(resourcesOfStatement(statement))).not.toContain('*');
        expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': DEFAULT_MAIL.from } });
      }
    });

    it('warns that mail and links are not configured', () => {
      const annotations = Annotations.fromStack(app.built.api);
      annotations.hasWarning('*', Match.stringLikeRegexp('mailFrom'));
      annotations.hasWarning('*', Match.stringLikeRegexp('appUrl'));
    });
  });

  describe('configured with -c mailFrom=… -c mailIdentity=… -c appUrl=…', () => {
    const context = { mailFrom: 'auth@mail.acme.test', mailIdentity: 'mail.acme.test', appUrl: 'https://console.acme.test' };
    let app: Synthesized;
    let addressIdentity: Synthesized;

    beforeAll(() => {
      app = synthesize(context);
      addressIdentity = synthesize({ ...context, mailIdentity: 'auth@mail.acme.test' });
    });

    it('tells every function the configured From address and app URL', () => {
      for (const { id, env } of functionsOf(app)) {
        expect(env[PlatformEnv.mailFrom], id).toBe('auth@mail.acme.test');
        expect(env[PlatformEnv.appUrl], id).toBe('https://console.acme.test');
      }
    });

    it('grants sending on the configured identity from the configured address', () => {
      expect(sesOfDomain(app, 'identity')).toEqual([sendMailStatement('auth@mail.acme.test', 'mail.acme.test')]);
    });

    it('accepts an address identity that is the From address itself', () => {
      expect(sesOfDomain(addressIdentity, 'identity')).toEqual([sendMailStatement('auth@mail.acme.test', 'auth@mail.acme.test')]);
    });

    it('does not warn about mail or links', () => {
      expect(Annotations.fromStack(app.built.api).findWarning('*', Match.stringLikeRegexp('mailFrom|appUrl'))).toEqual([]);
    });

    it.each([
      ['a From address outside the identity', { mailFrom: 'auth@acme.test' }],
      ['a From address in a subdomain of the identity', { mailFrom: 'auth@eu.mail.acme.test' }],
      ['a display name in the From address', { mailFrom: 'Rampart <auth@mail.acme.test>' }],
      ['no From address at all', { mailFrom: 'mail.acme.test' }],
      ['an identity that is not a domain', { mailIdentity: 'localhost' }],
      ['an identity with a wildcard', { mailIdentity: '*.acme.test' }],
      ['an address identity other than the From address', { mailIdentity: 'other@mail.acme.test' }],
      ['an http app URL', { appUrl: 'http://console.acme.test' }],
      ['an app URL with a trailing slash', { appUrl: 'https://console.acme.test/' }],
      ['an app URL with a query', { appUrl: 'https://console.acme.test?x=1' }],
      ['an app URL with credentials', { appUrl: 'https://user:pw@console.acme.test' }],
    ])('stops the synth for %s', (_, override) => {
      expect(() => createRampartApp({ context: { ...SKIP_BUNDLING, ...context, ...override } }, WITHOUT_CHECKS)).toThrow(/mailFrom|mailIdentity|appUrl/);
    });
  });

  describe('capabilities', () => {
    it('lets only identity and orgs send mail and only identity unwrap identity secrets (a change here is a reviewed permission change)', () => {
      expect(DomainCapabilities).toEqual({ identity: ['sendMail', 'openIdentitySecrets', 'openUserPii'], orgs: ['sendMail', 'openInvitationPii'], deploy: ['openOrgKeys'] });
    });

    it('gives a domain the map does not name no capability, whatever its name', () => {
      for (const domain of ['platform', 'audit', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        expect(capabilitiesOf(domain), domain).toEqual([]);
      }
    });

    describe('for event consumers', () => {
      let granted: Template;
      let plain: Template;

      beforeAll(() => {
        const app = new App({ context: SKIP_BUNDLING });
        const data = new DataStack(app, 'Data', { stage: 'test' });
        const mail = new MailSender({ from: 'notify@acme.test', identity: 'acme.test' });
        const stack = (id: string, capabilities: DomainCapabilityMap) =>
          new EventsStack(app, id, {
            stage: 'test',
            table: data.table,
            rootKey: data.rootKey,
            piiKey: data.piiKey,
            version: '0.0.0-test',
            mail,
            appUrl: DEFAULT_APP_URL,
            rules: [{ name: 'AuditRecordedToAudit', eventTypes: ['audit.recorded'], consumer: { domain: 'audit' } }],
            functionsDir: FIXTURE_FUNCTIONS,
            capabilities,
          });
        // The fixture consumer's domain is not a route domain, hence the cast.
        const grantedStack = stack('Granted', { audit: ['sendMail'] } as unknown as DomainCapabilityMap);
        const plainStack = stack('Plain', DomainCapabilities);
        granted = Template.fromStack(grantedStack);
        plain = Template.fromStack(plainStack);
      });

      it('grants the consumer of a domain with sendMail the same statement, and others none', () => {
        expect(identityStatements(granted).filter(isSes)).toEqual([sendMailStatement('notify@acme.test', 'acme.test')]);
        expect(identityStatements(plain).filter(isSes)).toEqual([]);
      });
    });
  });
});
