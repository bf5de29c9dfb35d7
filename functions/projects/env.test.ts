import { describe, expect, it } from 'vitest';
import { EnvName, EnvValue, resolveEnvironment } from './env';

describe('resolveEnvironment', () => {
  it('lets a service variable win over a project variable of the same name', () => {
    const project = [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'DATABASE_URL', value: 'project-db' },
    ];
    const service = [
      { name: 'DATABASE_URL', value: 'service-db' },
      { name: 'PORT', value: '8080' },
    ];
    expect(resolveEnvironment(project, service)).toEqual([
      { name: 'DATABASE_URL', value: 'service-db' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'PORT', value: '8080' },
    ]);
  });

  it('returns the project variables, sorted by name, when the service has none', () => {
    expect(resolveEnvironment([{ name: 'B' }, { name: 'A' }], [])).toEqual([{ name: 'A' }, { name: 'B' }]);
  });
});

describe('EnvName', () => {
  it.each(['A', '_PRIVATE', 'DATABASE_URL', 'X1', 'A'.repeat(255)])('accepts %s', (name) => {
    expect(EnvName.safeParse(name).success).toBe(true);
  });

  it.each(['', 'lower', '1ABC', 'A-B', 'A B', 'Ä', 'A'.repeat(256), 'AWS_REGION', 'ECS_CONTAINER_METADATA_URI', 'RAMPART_ORG'])('refuses %j', (name) => {
    expect(EnvName.safeParse(name).success).toBe(false);
  });
});

describe('EnvValue', () => {
  it('accepts 32 KiB of UTF-8 and refuses one byte more, counting bytes rather than characters', () => {
    expect(EnvValue.safeParse('a'.repeat(32 * 1024)).success).toBe(true);
    expect(EnvValue.safeParse('a'.repeat(32 * 1024 + 1)).success).toBe(false);
    // 'é' is two bytes: 16 Ki of them fit, one more does not.
    expect(EnvValue.safeParse('é'.repeat(16 * 1024)).success).toBe(true);
    expect(EnvValue.safeParse('é'.repeat(16 * 1024) + 'a').success).toBe(false);
  });
});
