// Unit tests of the env and bellwether.yaml parsers: defaults, every problem reported at once
// with its path, YAML errors with a line, effective dates in the org time zone, frozen result.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRODUCTION_ENVIRONMENT, DEFAULT_SCHEDULE, parseEnv, parseOrgConfig } from './config.js';
import { KPI_KEYS } from './kpi/keys.js';
import { ConfigError, type FieldProblem } from './lib/errors.js';

/** Runs `parse` and returns the problems of the ConfigError it must throw. */
function problemsOf(parse: () => unknown): FieldProblem[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const pathsOf = (parse: () => unknown): string[] => problemsOf(parse).map((problem) => problem.path).sort();

/** A small valid file that the single-problem cases below extend. */
const BASE = `
teams:
  - id: platform
  - id: payments
    parent: platform
services:
  - id: payments-api
    owner: payments
`;

describe('parseEnv', () => {
  it('uses the defaults for an empty environment', () => {
    expect(parseEnv({})).toEqual({
      databaseUrl: undefined,
      dataDir: './data',
      configPath: './bellwether.yaml',
      port: 3000,
      host: '127.0.0.1',
      apiToken: undefined,
      logLevel: 'info',
      webDir: undefined,
      chromiumPath: '/usr/bin/chromium',
      pagerduty: { token: undefined, apiUrl: undefined, webhookSecrets: [] },
      opsgenie: { token: undefined, apiUrl: undefined, webhookSecrets: [] },
      github: { token: undefined, apiUrl: undefined, webhookSecrets: [], app: undefined },
    });
  });

  it('reads a GitHub App installation, its key as PEM text', () => {
    const env = parseEnv({ GITHUB_APP_ID: '123', GITHUB_APP_INSTALLATION_ID: '456', GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----' });
    expect(env.github.app).toEqual({ appId: '123', installationId: '456', privateKey: '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----' });
  });

  it('reads incident-tool credentials, and several webhook secrets while one is rotated', () => {
    const env = parseEnv({
      PAGERDUTY_TOKEN: 'pd-token', PAGERDUTY_API_URL: 'http://127.0.0.1:9999', PAGERDUTY_WEBHOOK_SECRET: 'new-secret-0123456789, old-secret-0123456789',
      OPSGENIE_API_KEY: 'og-key', OPSGENIE_WEBHOOK_SECRET: 'og-secret-0123456789',
    });
    expect(env.pagerduty).toEqual({ token: 'pd-token', apiUrl: 'http://127.0.0.1:9999', webhookSecrets: ['new-secret-0123456789', 'old-secret-0123456789'] });
    expect(env.opsgenie).toEqual({ token: 'og-key', apiUrl: undefined, webhookSecrets: ['og-secret-0123456789'] });
  });

  it('treats empty strings as unset', () => {
    expect(parseEnv({ PORT: '', DATABASE_URL: '', BELLWETHER_DATA_DIR: '', BELLWETHER_CONFIG: '', HOST: '', BELLWETHER_API_TOKEN: '', LOG_LEVEL: '', BELLWETHER_WEB_DIR: '', BELLWETHER_CHROMIUM_PATH: '' })).toEqual(parseEnv({}));
  });

  it.each([
    [{ DATABASE_URL: 'postgres://u:p@db:5432/bellwether' }, { databaseUrl: 'postgres://u:p@db:5432/bellwether' }],
    [{ DATABASE_URL: 'postgresql://db/bellwether' }, { databaseUrl: 'postgresql://db/bellwether' }],
    [{ BELLWETHER_DATA_DIR: '/var/lib/bellwether' }, { dataDir: '/var/lib/bellwether' }],
    [{ BELLWETHER_CONFIG: '/etc/bellwether.yaml' }, { configPath: '/etc/bellwether.yaml' }],
    [{ PORT: '8080' }, { port: 8080 }],
    [{ PORT: '0' }, { port: 0 }],
    [{ HOST: '0.0.0.0' }, { host: '0.0.0.0' }],
    [{ BELLWETHER_API_TOKEN: 's3cret' }, { apiToken: 's3cret' }],
    [{ LOG_LEVEL: 'debug' }, { logLevel: 'debug' }],
    [{ LOG_LEVEL: 'silent' }, { logLevel: 'silent' }],
    [{ BELLWETHER_WEB_DIR: '/srv/web' }, { webDir: '/srv/web' }],
    [{ BELLWETHER_CHROMIUM_PATH: '/opt/chrome/chrome' }, { chromiumPath: '/opt/chrome/chrome' }],
  ])('reads %j', (env, expected) => {
    expect(parseEnv(env)).toMatchObject(expected);
  });

  it.each([
    [{ PORT: 'http' }, 'env.PORT'],
    [{ PORT: '3000.5' }, 'env.PORT'],
    [{ PORT: '65536' }, 'env.PORT'],
    [{ PORT: '-1' }, 'env.PORT'],
    [{ DATABASE_URL: 'mysql://db/bellwether' }, 'env.DATABASE_URL'],
    [{ LOG_LEVEL: 'verbose' }, 'env.LOG_LEVEL'],
    // A short shared secret is guessable: forged incidents.
    [{ PAGERDUTY_WEBHOOK_SECRET: 'short' }, 'env.PAGERDUTY_WEBHOOK_SECRET'],
    [{ OPSGENIE_WEBHOOK_SECRET: 'long-enough-0123456789,short' }, 'env.OPSGENIE_WEBHOOK_SECRET'],
    [{ PAGERDUTY_API_URL: 'api.pagerduty.com' }, 'env.PAGERDUTY_API_URL'],
    [{ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: '-----BEGIN KEY-----' }, 'env.GITHUB_APP_INSTALLATION_ID'],
    [{ GITHUB_APP_ID: 'one', GITHUB_APP_INSTALLATION_ID: '2', GITHUB_APP_PRIVATE_KEY: '-----BEGIN KEY-----' }, 'env.GITHUB_APP_ID'],
    [{ GITHUB_APP_ID: '1', GITHUB_APP_INSTALLATION_ID: '2', GITHUB_APP_PRIVATE_KEY: '/no/such/key.pem' }, 'env.GITHUB_APP_PRIVATE_KEY'],
  ])('rejects %j at %s', (env, path) => {
    expect(pathsOf(() => parseEnv(env))).toEqual([path]);
  });

  it('reports every bad variable at once', () => {
    expect(pathsOf(() => parseEnv({ PORT: 'x', DATABASE_URL: 'sqlite:x', LOG_LEVEL: 'loud' }))).toEqual(['env.DATABASE_URL', 'env.LOG_LEVEL', 'env.PORT']);
  });
});

describe('parseOrgConfig defaults', () => {
  it.each([
    ['an empty file', ''],
    ['a comment-only file', '# nothing yet\n'],
    ['an empty mapping', '{}\n'],
  ])('fills in every default for %s', (_name, text) => {
    expect(parseOrgConfig(text)).toEqual({
      name: 'Organisation',
      timeZone: 'UTC',
      doraBandYear: 2023,
      implicitFailureLinkage: true,
      computeSchedule: '*/5 * * * *',
      syncSchedule: '*/15 * * * *',
      rework: { resolutionWindowMinutes: 60, hotfixRefPattern: '^hotfix[/-]', hotfixLabels: ['hotfix'] },
      incidents: { recurrenceWindowDays: 90 },
      ci: { defaultBranches: ['main', 'master'] },
      github: null,
      pagerduty: null,
      opsgenie: null,
      teams: [],
      services: [],
      targets: { org: {}, teams: {}, services: {} },
    });
  });

  it('exports the default schedule and production rule', () => {
    expect(DEFAULT_SCHEDULE).toBe('*/5 * * * *');
    expect(DEFAULT_PRODUCTION_ENVIRONMENT).toBe('^prod(uction)?$');
  });

  it('defaults names to ids, one unbounded parent and owner, and the org production rule', () => {
    const org = parseOrgConfig(BASE);
    expect(org.teams).toEqual([
      { id: 'platform', name: 'platform', parents: [{ value: null, from: null, to: null }], timeZone: null },
      { id: 'payments', name: 'payments', parents: [{ value: 'platform', from: null, to: null }], timeZone: null },
    ]);
    expect(org.services).toEqual([
      { id: 'payments-api', name: 'payments-api', owners: [{ value: 'payments', from: null, to: null }], repositories: [], productionEnvironment: '^prod(uction)?$' },
    ]);
  });

  it('gives services the organisation production rule unless they override it', () => {
    const org = parseOrgConfig(`
organisation: { production_environment: '^live$' }
teams: [{ id: a }]
services:
  - { id: s1, owner: a }
  - { id: s2, owner: a, production_environment: '^prod-eu$' }
`);
    expect(org.services.map((service) => service.productionEnvironment)).toEqual(['^live$', '^prod-eu$']);
  });

  it('accepts hotfix_ref_pattern: null to turn the branch rule off', () => {
    expect(parseOrgConfig('rework: { hotfix_ref_pattern: null }\n').rework.hotfixRefPattern).toBeNull();
  });

  it('returns a deeply frozen object', () => {
    const org = parseOrgConfig(`${BASE}targets:\n  org: { rework_rate: 10 }\n  teams: { payments: { change_failure_rate: 12 } }\n`);
    for (const part of [org, org.rework, org.rework.hotfixLabels, org.teams, org.teams[0], org.teams[0]?.parents, org.teams[0]?.parents[0], org.services[0]?.owners, org.targets, org.targets.org, org.targets.teams, org.targets.teams.payments]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(() => {
      (org as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(() => (org.teams as unknown as unknown[]).push({})).toThrow(TypeError);
  });
});

describe('parseOrgConfig ci', () => {
  it('keeps the default branches build health counts', () => {
    expect(parseOrgConfig('ci: { default_branches: [trunk, release] }\n').ci).toEqual({ defaultBranches: ['trunk', 'release'] });
    expect(parseOrgConfig('ci: {}\n').ci).toEqual({ defaultBranches: ['main', 'master'] });
  });
});

describe('parseOrgConfig incident tools', () => {
  it('keeps the pagerduty and opsgenie sections and the incident settings', () => {
    const org = parseOrgConfig(`${BASE}incidents: { recurrence_window_days: 30 }\nsync: { schedule: '0 * * * *' }\npagerduty:\n  services: { PIKL83L: payments-api }\n  severity: { urgency: { high: sev1 } }\nopsgenie:\n  incidents: { services: { TestService: payments-api } }\n`);
    expect(org.incidents).toEqual({ recurrenceWindowDays: 30 });
    expect(parseOrgConfig('teams: [{ id: a, time_zone: Asia/Tokyo }, { id: b }]\n').teams.map((t) => t.timeZone)).toEqual(['Asia/Tokyo', null]);
    expect(org.syncSchedule).toBe('0 * * * *');
    expect(org.pagerduty).toEqual({ services: { PIKL83L: 'payments-api' }, severity: { urgency: { high: 'sev1' } } });
    expect(org.opsgenie).toEqual({ incidents: { services: { TestService: 'payments-api' } } });
  });
});

describe('parseOrgConfig problems', () => {
  it.each([
    ['unknown top-level key', 'colour: blue\n', ['colour']],
    ['unknown key in organisation', 'organisation: { timezone: UTC }\n', ['organisation.timezone']],
    ['unknown key inside a team', 'teams:\n  - id: a\n  - id: b\n    colour: red\n', ['teams[1].colour']],
    ['unknown key inside a service', 'teams: [{ id: a }]\nservices: [{ id: s, owner: a, tier: 1 }]\n', ['services[0].tier']],
    ['bad time zone', 'organisation: { time_zone: Mars/Olympus_Mons }\n', ['organisation.time_zone']],
    ['bad band year', 'organisation: { dora_band_year: 2019 }\n', ['organisation.dora_band_year']],
    ['bad cron', "compute: { schedule: 'every five minutes' }\n", ['compute.schedule']],
    ['bad org regex', "organisation: { production_environment: '(prod' }\n", ['organisation.production_environment']],
    ['bad hotfix regex', "rework: { hotfix_ref_pattern: '[hotfix' }\n", ['rework.hotfix_ref_pattern']],
    ['rework window too long', 'rework: { resolution_window_minutes: 10081 }\n', ['rework.resolution_window_minutes']],
    ['bad service regex', `${BASE}    production_environment: '(live'\n`, ['services[0].production_environment']],
    ['id that is not a slug', 'teams: [{ id: Platform }]\n', ['teams[0].id']],
    ['unknown parent team', 'teams: [{ id: a, parent: b }]\n', ['teams[0].parent']],
    ['own parent', 'teams: [{ id: a, parent: a }]\n', ['teams', 'teams[0].parent']],
    ['unknown team in a parent history', 'teams:\n  - id: a\n    parents: [{ team: null }, { team: b, from: 2025-01-01 }]\n', ['teams[0].parents[1].team']],
    ['both parent and parents', 'teams:\n  - { id: a }\n  - { id: b, parent: a, parents: [{ team: a }] }\n', ['teams[1].parents']],
    ['duplicate team id', 'teams: [{ id: a }, { id: a }]\n', ['teams[1].id']],
    ['hierarchy cycle', 'teams: [{ id: a, parent: c }, { id: b, parent: a }, { id: c, parent: b }]\n', ['teams']],
    ['unknown owner team', 'teams: [{ id: a }]\nservices: [{ id: s, owner: b }]\n', ['services[0].owner']],
    ['unknown team in an owners history', 'teams: [{ id: a }]\nservices:\n  - id: s\n    owners: [{ team: a }, { team: b, from: 2025-01-01 }]\n', ['services[0].owners[1].team']],
    ['missing owner', 'teams: [{ id: a }]\nservices: [{ id: s }]\n', ['services[0].owner']],
    ['both owner and owners', 'teams: [{ id: a }]\nservices: [{ id: s, owner: a, owners: [{ team: a }] }]\n', ['services[0].owners']],
    ['duplicate service id', 'teams: [{ id: a }]\nservices: [{ id: s, owner: a }, { id: s, owner: a }]\n', ['services[1].id']],
    ['duplicate repository', 'teams: [{ id: a }]\nservices: [{ id: s, owner: a, repositories: [acme/s, acme/s] }]\n', ['services[0].repositories[1]']],
    ['later owner without from', 'teams: [{ id: a }, { id: b }]\nservices:\n  - id: s\n    owners: [{ team: a }, { team: b }]\n', ['services[0].owners[1].from']],
    ['owners from not increasing', 'teams: [{ id: a }, { id: b }]\nservices:\n  - id: s\n    owners: [{ team: a, from: 2025-06-01 }, { team: b, from: 2025-06-01 }]\n', ['services[0].owners[1].from']],
    ['from that is not a date', 'teams: [{ id: a }, { id: b }]\nservices:\n  - id: s\n    owners: [{ team: a }, { team: b, from: next tuesday }]\n', ['services[0].owners[1].from']],
    ['from on an impossible day', 'teams: [{ id: a }, { id: b }]\nservices:\n  - id: s\n    owners: [{ team: a }, { team: b, from: 2025-02-30 }]\n', ['services[0].owners[1].from']],
    ['target for an unknown KPI key', 'targets: { org: { happiness: 5 } }\n', ['targets.org.happiness']],
    ['target that is not a number', "targets: { org: { rework_rate: '10%' } }\n", ['targets.org.rework_rate']],
    ['target for an unknown team', 'targets: { teams: { ghosts: { rework_rate: 5 } } }\n', ['targets.teams.ghosts']],
    ['target for an unknown service', 'targets: { services: { ghost-api: { rework_rate: 5 } } }\n', ['targets.services.ghost-api']],
    ['top level that is not a mapping', '- teams\n', ['(root)']],
    ['bad sync cron', "sync: { schedule: 'hourly' }\n", ['sync.schedule']],
    ['bad team time zone', 'teams: [{ id: a, time_zone: Asia/Atlantis }]\n', ['teams[0].time_zone']],
    ['recurrence window too long', 'incidents: { recurrence_window_days: 366 }\n', ['incidents.recurrence_window_days']],
    ['no default branch', 'ci: { default_branches: [] }\n', ['ci.default_branches']],
    ['an empty default branch name', "ci: { default_branches: [main, ''] }\n", ['ci.default_branches[1]']],
    ['unknown key in the ci section', 'ci: { branches: [main] }\n', ['ci.branches']],
    ['PagerDuty service mapped to an unknown service', `${BASE}pagerduty: { services: { PIKL83L: ghost-api } }\n`, ['pagerduty.services.PIKL83L']],
    ['PagerDuty section without services', `${BASE}pagerduty: { overlap_days: 3 }\n`, ['pagerduty.services']],
    ['unknown key in the PagerDuty section', `${BASE}pagerduty: { services: { PIKL83L: payments-api }, token: x }\n`, ['pagerduty.token']],
    ['Opsgenie service mapped to an unknown service', `${BASE}opsgenie: { incidents: { services: { TestService: ghost-api } } }\n`, ['opsgenie.incidents.services.TestService']],
    ['GitHub rule for a repository no service lists', `${BASE}github: { repositories: { acme/ghost: { deployments: { workflow: { name: deploy, branch: main } } } } }\n`, ['github']],
    ['unknown key in the GitHub section', `${BASE}github: { token: x }\n`, ['github.token']],
    ['Opsgenie default alert service unknown', `${BASE}opsgenie: { alerts: { default_service: ghost-api } }\n`, ['opsgenie.alerts.default_service']],
  ])('reports %s', (_name, text, paths) => {
    expect(pathsOf(() => parseOrgConfig(text))).toEqual(paths);
  });

  it('reports every problem of a file with many bad keys in one ConfigError', () => {
    const text = `
colour: blue
organisation:
  time_zone: Mars/Olympus_Mons
  production_environment: '(prod'
compute:
  schedule: every five minutes
teams:
  - id: platform
    colour: red
  - id: payments
    parent: finance
  - id: platform
  - id: loop-a
    parent: loop-b
  - id: loop-b
    parent: loop-a
services:
  - id: checkout
    owner: nobody
  - id: checkout
    owner: platform
  - id: ledger
    owners:
      - team: payments
        from: 2026-06-01
      - team: platform
        from: 2026-01-01
  - id: billing
    owner: payments
    owners: [{ team: platform }]
    production_environment: '[live'
targets:
  org:
    happiness: 5
  teams:
    nobody: { rework_rate: 5 }
    payments: { velocity: 30 }
  services:
    ghost: { change_failure_rate: 10 }
`;
    const problems = problemsOf(() => parseOrgConfig(text));
    expect(problems.map((problem) => problem.path).sort()).toEqual(
      [
        'colour',
        'organisation.time_zone',
        'organisation.production_environment',
        'compute.schedule',
        'teams[0].colour',
        'teams[1].parent',
        'teams[2].id',
        'teams',
        'services[0].owner',
        'services[1].id',
        'services[2].owners[1].from',
        'services[3].owners',
        'services[3].production_environment',
        'targets.org.happiness',
        'targets.teams.payments.velocity',
        'targets.teams.nobody',
        'targets.services.ghost',
      ].sort(),
    );
    expect(problems.every((problem) => problem.message.length > 0)).toBe(true);
    expect(problems.find((problem) => problem.path === 'teams')?.message).toMatch(/cycle: loop-a -> loop-b -> loop-a/);
    // Schema problems point at their line of the file (an unknown key at the key itself).
    const lineOf = (path: string) => problems.find((problem) => problem.path === path)?.line;
    expect(lineOf('colour')).toBe(2);
    expect(lineOf('teams[0].colour')).toBe(10);
    expect(lineOf('targets.org.happiness')).toBe(35);
  });

  it('lists every problem in the error message', () => {
    const error = (() => {
      try {
        parseOrgConfig('colour: blue\norganisation: { time_zone: Nowhere }\n');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('colour: unknown key');
    expect((error as ConfigError).message).toContain('organisation.time_zone: unknown IANA time zone "Nowhere"');
  });
});

describe('parseOrgConfig YAML errors', () => {
  it.each([
    ['duplicate top-level key', 'organisation: { name: A }\ncompute: {}\norganisation: { name: B }\n', 'bellwether.yaml:3', 3],
    ['duplicate nested key', 'teams:\n  - id: a\n    name: A\n    name: B\n', 'bellwether.yaml:4', 4],
    ['unclosed flow sequence', 'teams: [\n  { id: a }\n', 'bellwether.yaml:3', 3],
    ['tab indentation', 'organisation:\n\tname: A\n', 'bellwether.yaml:2', 2],
    ['unterminated quote', 'organisation:\n  name: "Acme\n', 'bellwether.yaml:3', 3],
  ])('reports a %s with its line', (_name, text, path, line) => {
    const problems = problemsOf(() => parseOrgConfig(text));
    expect(problems[0]).toMatchObject({ path, line });
    expect(problems[0]?.message).not.toMatch(/\n/);
  });

  it('names the file it was given', () => {
    expect(pathsOf(() => parseOrgConfig('a: 1\na: 2\n', '/etc/bellwether.yaml'))).toEqual(['/etc/bellwether.yaml:2']);
  });
});

describe('parseOrgConfig effective dates', () => {
  const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);
  const ownersOf = (timeZone: string, owners: string) =>
    parseOrgConfig(`organisation: { time_zone: ${timeZone} }\nteams: [{ id: a }, { id: b }, { id: c }]\nservices:\n  - id: s\n    owners: ${owners}\n`).services[0]!.owners.map(
      (owner) => [owner.value, iso(owner.from), iso(owner.to)],
    );

  it.each([
    [
      'a date is local midnight in the org time zone',
      'Europe/Berlin',
      '[{ team: a }, { team: b, from: 2026-06-01 }]',
      [
        ['a', null, '2026-05-31T22:00:00.000Z'],
        ['b', '2026-05-31T22:00:00.000Z', null],
      ],
    ],
    [
      'winter dates use the winter offset',
      'Europe/Berlin',
      '[{ team: a }, { team: b, from: 2026-01-15 }]',
      [
        ['a', null, '2026-01-14T23:00:00.000Z'],
        ['b', '2026-01-14T23:00:00.000Z', null],
      ],
    ],
    [
      'a date in UTC is midnight UTC',
      'UTC',
      '[{ team: a }, { team: b, from: 2026-06-01 }]',
      [
        ['a', null, '2026-06-01T00:00:00.000Z'],
        ['b', '2026-06-01T00:00:00.000Z', null],
      ],
    ],
    [
      'a full timestamp keeps its own offset',
      'Europe/Berlin',
      '[{ team: a }, { team: b, from: "2026-06-01T09:30:00+05:30" }]',
      [
        ['a', null, '2026-06-01T04:00:00.000Z'],
        ['b', '2026-06-01T04:00:00.000Z', null],
      ],
    ],
    [
      'a timestamp in Z is UTC',
      'America/New_York',
      '[{ team: a }, { team: b, from: 2026-06-01T00:00:00Z }]',
      [
        ['a', null, '2026-06-01T00:00:00.000Z'],
        ['b', '2026-06-01T00:00:00.000Z', null],
      ],
    ],
    [
      'a timestamp with a space before the time (RFC 3339) is accepted',
      'Europe/Berlin',
      '[{ team: a }, { team: b, from: "2026-06-01 09:30:00+05:30" }]',
      [
        ['a', null, '2026-06-01T04:00:00.000Z'],
        ['b', '2026-06-01T04:00:00.000Z', null],
      ],
    ],
    [
      'intervals are back to back over three owners',
      'Europe/Berlin',
      '[{ team: a }, { team: b, from: 2025-01-01 }, { team: c, from: 2026-06-01 }]',
      [
        ['a', null, '2024-12-31T23:00:00.000Z'],
        ['b', '2024-12-31T23:00:00.000Z', '2026-05-31T22:00:00.000Z'],
        ['c', '2026-05-31T22:00:00.000Z', null],
      ],
    ],
    [
      'a first entry with from starts there',
      'UTC',
      '[{ team: a, from: 2025-03-01 }, { team: b, from: 2025-04-01 }]',
      [
        ['a', '2025-03-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z'],
        ['b', '2025-04-01T00:00:00.000Z', null],
      ],
    ],
  ])('%s', (_name, timeZone, owners, expected) => {
    expect(ownersOf(timeZone, owners)).toEqual(expected);
  });

  it('applies the same rule to parent histories', () => {
    const org = parseOrgConfig(`
organisation: { time_zone: Europe/Berlin }
teams:
  - id: engineering
  - id: commerce
  - id: payments
    parents: [{ team: engineering }, { team: commerce, from: 2026-06-01 }]
`);
    expect(org.teams[2]?.parents.map((parent) => [parent.value, iso(parent.from), iso(parent.to)])).toEqual([
      ['engineering', null, '2026-05-31T22:00:00.000Z'],
      ['commerce', '2026-05-31T22:00:00.000Z', null],
    ]);
  });

  it('compares a date and a timestamp as instants', () => {
    // 2026-06-01 in Berlin is 2026-05-31T22:00Z, so 23:00Z the evening before is later.
    expect(ownersOf('Europe/Berlin', '[{ team: a, from: 2026-06-01 }, { team: b, from: 2026-05-31T23:00:00Z }]')).toEqual([
      ['a', '2026-05-31T22:00:00.000Z', '2026-05-31T23:00:00.000Z'],
      ['b', '2026-05-31T23:00:00.000Z', null],
    ]);
    expect(
      pathsOf(() =>
        parseOrgConfig(
          'organisation: { time_zone: Europe/Berlin }\nteams: [{ id: a }, { id: b }]\nservices:\n  - id: s\n    owners: [{ team: a, from: 2026-06-01 }, { team: b, from: 2026-05-31T21:00:00Z }]\n',
        ),
      ),
    ).toEqual(['services[0].owners[1].from']);
  });
});

describe('bellwether.example.yaml', () => {
  const text = readFileSync(new URL('../bellwether.example.yaml', import.meta.url), 'utf8');

  it('parses without problems', () => {
    expect(() => parseOrgConfig(text, 'bellwether.example.yaml')).not.toThrow();
  });

  it('shows every kind of key', () => {
    const org = parseOrgConfig(text, 'bellwether.example.yaml');
    expect(org.timeZone).not.toBe('UTC');
    expect(org.teams.some((team) => team.parents.length > 1)).toBe(true);
    expect(org.services.some((service) => service.owners.length > 1)).toBe(true);
    expect(org.services.some((service) => service.repositories.length > 0)).toBe(true);
    expect(org.services.some((service) => service.productionEnvironment !== DEFAULT_PRODUCTION_ENVIRONMENT)).toBe(true);
    expect(Object.keys(org.targets.org).sort()).toEqual([...KPI_KEYS].sort());
    expect(Object.keys(org.targets.teams).length).toBeGreaterThan(0);
    expect(Object.keys(org.targets.services).length).toBeGreaterThan(0);
  });
});
