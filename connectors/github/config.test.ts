import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { backfillStart, GitHubConfig, resolveGitHubConfig, type ServiceRepositories } from './config.js';

const services: ServiceRepositories[] = [
  { id: 'payments-api', repositories: ['northwind/payments-api', 'northwind/monorepo'] },
  { id: 'ledger-worker', repositories: ['northwind/ledger', 'northwind/monorepo'] },
  { id: 'storefront-web', repositories: ['northwind/storefront'] },
];

describe('GitHubConfig', () => {
  it.each([
    ['an empty section', {}],
    ['every option', {
      repositories: {
        'northwind/payments-api': { deployments: { github_deployments: { environment: '^prod' } } },
        'northwind/monorepo': {
          service: 'payments-api',
          deployments: [
            { workflow: { name: 'Deploy ledger', branch: 'main' }, service: 'ledger-worker', environment: 'live-eu' },
            { release: { tag_pattern: '^api-v', from: 'tags' } },
          ],
        },
      },
      include: ['northwind/*'], exclude: ['northwind/*-proto'], incident_labels: ['incident'], severity_labels: { critical: 'sev1' }, default_severity: 'sev2',
      since: '2024-01-01', overlap_days: 3,
    }],
  ])('accepts %s', (_name, config) => {
    expect([...Value.Errors(GitHubConfig, config)].map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  });

  it.each([
    ['an unknown key', { token: 'x' }],
    ['a repository that is not owner/name', { repositories: { 'payments-api': {} } }],
    ['a rule of two kinds at once', { repositories: { 'a/b': { deployments: { workflow: { name: 'x', branch: 'main' }, release: { tag_pattern: 'v' } } } } }],
    ['a workflow rule without a branch', { repositories: { 'a/b': { deployments: { workflow: { name: 'Deploy' } } } } }],
    ['an unknown rule key', { repositories: { 'a/b': { deployments: { github_deployments: { environment: 'prod', task: 'deploy' } } } } }],
    ['release from somewhere else', { repositories: { 'a/b': { deployments: { release: { tag_pattern: 'v', from: 'branches' } } } } }],
    ['a severity outside sev1..sev5', { default_severity: 'sev0' }],
    ['overlap_days of 0', { overlap_days: 0 }],
    ['since that is not a date', { since: 'last year' }],
  ])('rejects %s', (_name, config) => {
    expect(Value.Check(GitHubConfig, config)).toBe(false);
  });
});

describe('resolveGitHubConfig', () => {
  it('reads every repository of the services, with the service when there is one', () => {
    const { resolved, problems } = resolveGitHubConfig({ repositories: { 'northwind/payments-api': { deployments: { github_deployments: { environment: '^prod' } } } } }, services);
    expect(problems).toEqual([]);
    expect(resolved.repositories.map((plan) => [plan.repository, plan.service])).toEqual([
      ['northwind/ledger', 'ledger-worker'], ['northwind/monorepo', null], ['northwind/payments-api', 'payments-api'], ['northwind/storefront', 'storefront-web'],
    ]);
    expect(resolved.repositories[2]!.rules).toEqual([{ kind: 'github_deployments', service: 'payments-api', environment: /^prod/i }]);
    expect(resolved).toMatchObject({ incidentLabels: [], defaultSeverity: 'sev3', overlapDays: 7 });
  });

  it('requires the service of a rule on a repository backing several', () => {
    const { problems } = resolveGitHubConfig({ repositories: { 'northwind/monorepo': { deployments: { workflow: { name: 'Deploy', branch: 'main' } } } } }, services);
    expect(problems).toEqual(['github.repositories.northwind/monorepo.deployments.service: required, northwind/monorepo backs several services (payments-api, ledger-worker)']);
  });

  it('resolves each rule of a monorepo to its service, defaulting to the repository’s', () => {
    const { resolved, problems } = resolveGitHubConfig({
      repositories: {
        'northwind/monorepo': {
          service: 'payments-api',
          deployments: [{ workflow: { name: 'Deploy ledger', branch: 'main' }, service: 'ledger-worker', environment: 'live-eu' }, { release: { tag_pattern: '^api-v' } }],
        },
      },
    }, services);
    expect(problems).toEqual([]);
    expect(resolved.repositories.find((plan) => plan.repository === 'northwind/monorepo')!.rules).toEqual([
      { kind: 'workflow', service: 'ledger-worker', environment: 'live-eu', workflow: 'Deploy ledger', branch: 'main' },
      { kind: 'release', service: 'payments-api', environment: 'production', tagPattern: /^api-v/, from: 'releases' },
    ]);
  });

  it.each([
    ['a service the repository does not back', { repositories: { 'northwind/ledger': { deployments: { github_deployments: { environment: 'prod' }, service: 'storefront-web' } } } },
      'github.repositories.northwind/ledger.deployments.service: storefront-web is not a service of northwind/ledger (its services: ledger-worker)'],
    ['a repository no service lists', { repositories: { 'northwind/unknown': {} } }, 'github.repositories.northwind/unknown: no service lists it (by name or pattern), so its records would be rejected'],
    ['an invalid regex', { repositories: { 'northwind/ledger': { deployments: { github_deployments: { environment: '(prod' } } } } },
      'github.repositories.northwind/ledger.deployments.github_deployments.environment: not a valid regular expression'],
    ['releases and tags at once', { repositories: { 'northwind/ledger': { deployments: [{ release: { tag_pattern: 'v' } }, { release: { tag_pattern: 'w', from: 'tags' as const } }] } } },
      'github.repositories.northwind/ledger.deployments: use releases or tags, not both (a release is also a tag)'],
    ['incident issues on a repository backing several services', { incident_labels: ['incident'] },
      'github.repositories.northwind/monorepo.service: required for incident and bug issues, northwind/monorepo backs several services (payments-api, ledger-worker)'],
    ['bug issues on a repository backing several services', { bug_labels: ['bug'] },
      'github.repositories.northwind/monorepo.service: required for incident and bug issues'],
    ['an organisation listed twice', { organizations: [{ name: 'northwind' }, { name: 'Northwind' }] }, 'github.organizations[1].name: Northwind is listed twice'],
    ["an invalid regex in an organisation's rule", { organizations: [{ name: 'northwind', deployments: { release: { tag_pattern: '[v' } } }] },
      'github.organizations[0].deployments.release.tag_pattern: not a valid regular expression'],
  ])('reports %s', (_name, config, problem) => {
    const { problems } = resolveGitHubConfig(config as GitHubConfig, services);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('reads only repositories matching include and not exclude', () => {
    const { resolved } = resolveGitHubConfig({ include: ['northwind/*'], exclude: ['**/mono*', 'NorthWind/Ledger'] }, services);
    expect(resolved.repositories.map((plan) => plan.repository)).toEqual(['northwind/payments-api', 'northwind/storefront']);
  });
});

describe('a repository an organisation lists', () => {
  const owned = [...services, { id: 'catch-all', repositories: ['northwind/*'] }];
  const organisation = { name: 'northwind', deployments: { workflow: { name: 'Deploy', branch: 'main' } } };
  const plan = (config: GitHubConfig, listed: { full_name: string; archived?: boolean; fork?: boolean }, owners = owned) => {
    const { resolved, problems } = resolveGitHubConfig(config, owners);
    expect(problems).toEqual([]);
    return resolved.planListed(resolved.organisations[0]!, { archived: false, fork: false, ...listed });
  };

  it("takes its pattern's service and its organisation's rule, unless `repositories` has its own", () => {
    expect(plan({ organizations: [organisation] }, { full_name: 'northwind/search' })).toEqual({
      plan: { repository: 'northwind/search', service: 'catch-all', rules: [{ kind: 'workflow', service: 'catch-all', environment: 'production', workflow: 'Deploy', branch: 'main' }] },
    });
    const own: GitHubConfig = { organizations: [organisation], repositories: { 'northwind/search': { deployments: { release: { tag_pattern: '^v' } } } } };
    expect(plan(own, { full_name: 'northwind/search' })).toMatchObject({ plan: { rules: [{ kind: 'release', service: 'catch-all' }] } });
  });

  it('is skipped when a service lists it by name (read as such), archived, a fork, filtered out, or owned by no service', () => {
    expect(plan({ organizations: [organisation] }, { full_name: 'northwind/Ledger' })).toEqual({ skipped: 'listed by name under a service (read as such)', filtered: true });
    expect(plan({ organizations: [organisation] }, { full_name: 'northwind/old', archived: true })).toEqual({ skipped: 'archived', filtered: true });
    expect(plan({ organizations: [organisation] }, { full_name: 'northwind/copy', fork: true })).toEqual({ skipped: 'a fork', filtered: true });
    expect(plan({ organizations: [{ ...organisation, exclude: ['northwind/s*'] }] }, { full_name: 'northwind/search' })).toEqual({ skipped: 'left out by include/exclude', filtered: true });
    expect(plan({ exclude: ['**/search'], organizations: [organisation] }, { full_name: 'northwind/search' })).toMatchObject({ filtered: true });
    expect(plan({ organizations: [organisation] }, { full_name: 'northwind/search' }, services)).toEqual({
      skipped: 'no service owns it: list it under a service, or give one a pattern such as northwind/*', filtered: false,
    });
  });
});

describe('backfillStart', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  it('defaults to two years before now', () => {
    expect(backfillStart({}, now).toISOString()).toBe('2024-03-01T10:00:00.000Z');
  });
  it('takes since from the file, a date meaning its UTC midnight; --since wins', () => {
    expect(backfillStart({ since: '2025-01-15' }, now).toISOString()).toBe('2025-01-15T00:00:00.000Z');
    expect(backfillStart({ since: '2025-01-15' }, now, new Date('2025-06-01T00:00:00Z')).toISOString()).toBe('2025-06-01T00:00:00.000Z');
  });
});
