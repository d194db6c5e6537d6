// The `github:` section of bellwether.yaml and what it resolves to per repository. Which
// repositories are read comes from the services in bellwether.yaml (each lists its
// repositories by name or by pattern) and from the organisations this section names (every
// repository of each, found at sync time, that a service owns); this section adds how a
// repository deploys, which issues are incidents, and where the first sync starts.
import { Type, type Static } from 'typebox';
import { firstSyncStart } from '../first-sync.js';
import { globRegex, repositoryOwners, type ServiceRepositories } from '../repository-owners.js';

export type { ServiceRepositories } from '../repository-owners.js';

const RepositoryName = Type.String({ pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$', description: 'owner/name, e.g. northwind/payments-api.' });
const ServiceId = (description: string) => Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', description });
const Regex = (description: string) => Type.String({ minLength: 1, maxLength: 500, description });
const Severity = (description = 'Bellwether severity; sev1 is the most severe.') =>
  Type.Union([Type.Literal('sev1'), Type.Literal('sev2'), Type.Literal('sev3'), Type.Literal('sev4'), Type.Literal('sev5')], { description });
export type Severity = Static<ReturnType<typeof Severity>>;

/** What every deployment rule may add: whose deployment it is, and the environment it reports. */
const RuleCommon = {
  service: Type.Optional(ServiceId('The service deployed; required when the repository backs several services.')),
  environment: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Environment reported for workflow and release deployments (default production). GitHub deployments report their own.' }),
  ),
};

const GitHubDeploymentsRule = Type.Object(
  {
    github_deployments: Type.Object(
      { environment: Regex('Case-insensitive regex on the deployment environment; deployments to other environments are skipped.') },
      { additionalProperties: false },
    ),
    ...RuleCommon,
  },
  { additionalProperties: false, description: 'GitHub deployments (the Deployments API, e.g. from Actions environments) are the deployments.' },
);
const WorkflowRule = Type.Object(
  {
    workflow: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 500, description: 'Workflow name (the `name:` of the workflow file), matched exactly.' }),
        branch: Type.String({ minLength: 1, maxLength: 500, description: 'Branch the run built, matched exactly (e.g. main).' }),
      },
      { additionalProperties: false },
    ),
    ...RuleCommon,
  },
  { additionalProperties: false, description: 'A run of workflow `name` on `branch` is a deployment (each attempt of a re-run is one).' },
);
const ReleaseRule = Type.Object(
  {
    release: Type.Object(
      {
        tag_pattern: Regex('Regex on the tag name (case-sensitive), e.g. ^v\\d+\\.\\d+\\.\\d+$.'),
        from: Type.Optional(
          Type.Union([Type.Literal('releases'), Type.Literal('tags')], {
            description: 'releases (default): a published, non-draft release is a deployment at its publish time; tags: a tag is one at its commit’s committer date (no releases needed).',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    ...RuleCommon,
  },
  { additionalProperties: false, description: 'A release (or tag) whose tag matches the pattern is a deployment.' },
);
const DeploymentRule = Type.Union([GitHubDeploymentsRule, WorkflowRule, ReleaseRule]);
const DeploymentRules = (description: string) =>
  Type.Union([DeploymentRule, Type.Array(DeploymentRule, { minItems: 1, maxItems: 20 })], { description });
const Globs = (description: string) => Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100, description });

const Organisation = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$', description: 'The organisation’s login, e.g. northwind.' }),
    include: Type.Optional(Globs('Globs on owner/name; only matching repositories are read. Default: all.')),
    exclude: Type.Optional(Globs('Globs on owner/name of repositories not to read.')),
    archived: Type.Optional(Type.Boolean({ description: 'Read archived repositories too (default false).' })),
    forks: Type.Optional(Type.Boolean({ description: 'Read forks too (default false).' })),
    deployments: Type.Optional(DeploymentRules('How its repositories deploy, unless `repositories` has an entry for one.')),
  },
  { additionalProperties: false },
);
export type Organisation = Static<typeof Organisation>;
export type DeploymentRule = Static<typeof DeploymentRule>;
export type GitHubDeploymentsRule = Static<typeof GitHubDeploymentsRule>;
export type WorkflowRule = Static<typeof WorkflowRule>;
export type ReleaseRule = Static<typeof ReleaseRule>;

export const GitHubConfig = Type.Object(
  {
    repositories: Type.Optional(
      Type.Record(
        RepositoryName,
        Type.Object(
          {
            deployments: Type.Optional(
              DeploymentRules('How this repository deploys: one rule, or several (a monorepo deploying several services). Without one, the repository yields no deployments (or its organisation’s rule applies).'),
            ),
            service: Type.Optional(ServiceId('Service its incidents and bugs (and rules without a service) belong to, when the repository backs several.')),
          },
          { additionalProperties: false },
        ),
        { additionalProperties: false, description: 'Per-repository settings, keyed by owner/name; a service must own the repository (by name or pattern).' },
      ),
    ),
    organizations: Type.Optional(
      Type.Array(Organisation, {
        maxItems: 50,
        description: 'Organisations whose every repository is read (as include/exclude allow) when a service owns it, by name or by a pattern such as northwind/*. Repositories no service owns are listed in the sync log and skipped.',
      }),
    ),
    include: Type.Optional(
      Globs('Globs on owner/name (`*` matches within a segment, `**` across); only matching repositories are read. Default: all.'),
    ),
    exclude: Type.Optional(Globs('Globs on owner/name of repositories not to read.')),
    incident_labels: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 20,
        description: 'An issue carrying any of these labels is an incident (case-insensitive). Default none: issues are not read.',
      }),
    ),
    bug_labels: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 20,
        description: 'An issue carrying any of these labels is a bug (case-insensitive), for escaped defects. Default none.',
      }),
    ),
    production_bug_labels: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 20,
        description: 'A bug carrying any of these labels was found in production (an escaped defect). Default: every bug issue counts as found in production.',
      }),
    ),
    severity_labels: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Severity(), {
        description: 'Label → severity. Labels named sev1..sev5 or P1..P5 (also sev-1, p_1) need no entry.',
      }),
    ),
    default_severity: Type.Optional(Severity('Severity of an incident or bug issue without a severity label (default sev3).')),
    since: Type.Optional(
      Type.Union([Type.String({ format: 'date' }), Type.String({ format: 'date-time' })], {
        description: 'Backfill start of the first sync (default: two years before it). `bellwether sync --since` overrides it.',
      }),
    ),
    overlap_days: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 90, description: 'An incremental sync re-reads this many days before its high-water mark, to catch late changes (default 7).' }),
    ),
  },
  { title: 'GitHub', additionalProperties: false },
);
export type GitHubConfig = Static<typeof GitHubConfig>;

export const DEFAULT_OVERLAP_DAYS = 7;
export const DEFAULT_SEVERITY: Severity = 'sev3';
export const DEFAULT_DEPLOYMENT_ENVIRONMENT = 'production';

/** A deployment rule with its service decided and its patterns compiled. */
export type ResolvedRule =
  | { kind: 'github_deployments'; service: string; environment: RegExp }
  | { kind: 'workflow'; service: string; environment: string; workflow: string; branch: string }
  | { kind: 'release'; service: string; environment: string; tagPattern: RegExp; from: 'releases' | 'tags' };

/** Everything the connector needs about one repository. */
export interface RepositoryPlan {
  /** owner/name as bellwether.yaml lists it, or as GitHub spells a repository found in an organisation (records carry this spelling). */
  repository: string;
  /** The service its incidents belong to; null when ambiguous and not configured. */
  service: string | null;
  rules: ResolvedRule[];
}

/** An organisation to list, with its filters compiled. */
export interface OrganisationPlan {
  name: string;
  include: RegExp[];
  exclude: RegExp[];
  archived: boolean;
  forks: boolean;
}

/** A repository as an organisation's listing gives it. */
export interface ListedRepository {
  full_name: string;
  archived: boolean;
  fork: boolean;
}

export interface ResolvedConfig {
  /** The repositories services list by name, each read whether or not an organisation lists it. */
  repositories: RepositoryPlan[];
  organisations: OrganisationPlan[];
  incidentLabels: string[];
  bugLabels: string[];
  /** Empty: every bug counts as found in production. */
  productionBugLabels: string[];
  severityLabels: Record<string, Severity>;
  defaultSeverity: Severity;
  overlapDays: number;
  /**
   * The plan of a repository an organisation lists, or why it is not read: filtered out, owned
   * by no service, or its rules do not fit its services (only known once it is found).
   */
  planListed(organisation: OrganisationPlan, listed: ListedRepository): { plan: RepositoryPlan } | { skipped: string; filtered: boolean };
}

type RepositorySettings = NonNullable<GitHubConfig['repositories']>[string];
type RawRules = RepositorySettings['deployments'];

/**
 * The repositories to read and their rules, or the list of problems (each with its path), so
 * that the server can fail at start with all of them, as it does for the rest of the file.
 */
export function resolveGitHubConfig(config: GitHubConfig, services: readonly ServiceRepositories[]): { resolved: ResolvedConfig; problems: string[] } {
  const problems: string[] = [];
  const owners = repositoryOwners(services);
  const include = (config.include ?? []).map(globRegex);
  const exclude = (config.exclude ?? []).map(globRegex);
  const wanted = (repository: string, more: { include: RegExp[]; exclude: RegExp[] } = { include: [], exclude: [] }) =>
    [include, more.include].every((globs) => !globs.length || globs.some((glob) => glob.test(repository))) &&
    ![...exclude, ...more.exclude].some((glob) => glob.test(repository));
  const settingsOf = new Map(Object.entries(config.repositories ?? {}).map(([repository, settings]) => [repository.toLowerCase(), settings]));
  const issues = (config.incident_labels?.length ?? 0) + (config.bug_labels?.length ?? 0) > 0;

  for (const repository of Object.keys(config.repositories ?? {})) {
    if (!owners.ownersOf(repository).length) problems.push(`github.repositories.${repository}: no service lists it (by name or pattern), so its records would be rejected`);
  }
  const organisations = (config.organizations ?? []).map((organisation, i): OrganisationPlan & { rules: RawRules } => {
    if ((config.organizations ?? []).findIndex((other) => other.name.toLowerCase() === organisation.name.toLowerCase()) !== i) {
      problems.push(`github.organizations[${i}].name: ${organisation.name} is listed twice`);
    }
    return {
      name: organisation.name, include: (organisation.include ?? []).map(globRegex), exclude: (organisation.exclude ?? []).map(globRegex),
      archived: organisation.archived ?? false, forks: organisation.forks ?? false, rules: organisation.deployments,
    };
  });
  // An organisation's rule is checked against nothing yet (its repositories are found at sync
  // time), except that it compiles.
  organisations.forEach((organisation, i) => {
    for (const rule of asArray(organisation.rules)) checkPatterns(rule, `github.organizations[${i}].deployments`, problems);
  });

  const plans = [...owners.named].filter((repository) => wanted(repository)).sort().map((repository) =>
    planRepository(repository, owners.ownersOf(repository), settingsOf.get(repository.toLowerCase()), issues, `github.repositories.${repository}`, problems));
  const named = new Set(plans.map((plan) => plan.repository.toLowerCase()));

  const planListed: ResolvedConfig['planListed'] = (organisation, listed) => {
    const repository = listed.full_name;
    if (named.has(repository.toLowerCase())) return { skipped: 'listed by name under a service (read as such)', filtered: true };
    if (listed.archived && !organisation.archived) return { skipped: 'archived', filtered: true };
    if (listed.fork && !organisation.forks) return { skipped: 'a fork', filtered: true };
    if (!wanted(repository, organisation)) return { skipped: 'left out by include/exclude', filtered: true };
    const serviceIds = owners.ownersOf(repository);
    if (!serviceIds.length) return { skipped: 'no service owns it: list it under a service, or give one a pattern such as ' + `${organisation.name}/*`, filtered: false };
    const own = settingsOf.get(repository.toLowerCase());
    const rules = own?.deployments ?? (organisations.find((o) => o.name === organisation.name)?.rules);
    const found: string[] = [];
    const plan = planRepository(repository, serviceIds, { ...own, deployments: rules }, issues, `github (${repository})`, found);
    return found.length ? { skipped: found.join('; '), filtered: false } : { plan };
  };

  return {
    resolved: {
      repositories: plans,
      organisations: organisations.map(({ rules: _rules, ...organisation }) => organisation),
      incidentLabels: (config.incident_labels ?? []).map((label) => label.toLowerCase()),
      bugLabels: (config.bug_labels ?? []).map((label) => label.toLowerCase()),
      productionBugLabels: (config.production_bug_labels ?? []).map((label) => label.toLowerCase()),
      severityLabels: Object.fromEntries(Object.entries(config.severity_labels ?? {}).map(([label, severity]) => [label.toLowerCase(), severity])),
      defaultSeverity: config.default_severity ?? DEFAULT_SEVERITY,
      overlapDays: config.overlap_days ?? DEFAULT_OVERLAP_DAYS,
      planListed,
    },
    problems,
  };
}

/** One repository's plan: whose incidents and bugs it has and how it deploys, each rule's service decided. Problems are pushed with `path`. */
function planRepository(repository: string, owners: readonly string[], settings: RepositorySettings | undefined, issues: boolean, path: string, problems: string[]): RepositoryPlan {
  const chosen = (service: string | undefined, where: string): string | null => {
    if (service === undefined) return owners.length === 1 ? owners[0]! : null;
    if (!owners.includes(service)) {
      problems.push(`${where}.service: ${service} is not a service of ${repository} (its services: ${owners.join(', ')})`);
      return null;
    }
    return service;
  };
  const repositoryService = chosen(settings?.service, path);
  const rules: ResolvedRule[] = [];
  asArray(settings?.deployments).forEach((rule, i) => {
    const where = Array.isArray(settings?.deployments) ? `${path}.deployments[${i}]` : `${path}.deployments`;
    const service = rule.service !== undefined ? chosen(rule.service, where) : repositoryService;
    if (service === null) {
      if (rule.service === undefined) problems.push(`${where}.service: required, ${repository} backs several services (${owners.join(', ')})`);
      return;
    }
    const environment = rule.environment ?? DEFAULT_DEPLOYMENT_ENVIRONMENT;
    if ('github_deployments' in rule) {
      const pattern = compile(rule.github_deployments.environment, 'i', `${where}.github_deployments.environment`, problems);
      if (pattern) rules.push({ kind: 'github_deployments', service, environment: pattern });
    } else if ('workflow' in rule) {
      rules.push({ kind: 'workflow', service, environment, workflow: rule.workflow.name, branch: rule.workflow.branch });
    } else {
      const pattern = compile(rule.release.tag_pattern, '', `${where}.release.tag_pattern`, problems);
      if (pattern) rules.push({ kind: 'release', service, environment, tagPattern: pattern, from: rule.release.from ?? 'releases' });
    }
  });
  const kinds = new Set(rules.map((rule) => (rule.kind === 'release' ? `release:${rule.from}` : rule.kind)));
  if (kinds.has('release:releases') && kinds.has('release:tags')) problems.push(`${path}.deployments: use releases or tags, not both (a release is also a tag)`);
  if (issues && repositoryService === null) {
    problems.push(`${path}.service: required for incident and bug issues, ${repository} backs several services (${owners.join(', ')})`);
  }
  return { repository, service: repositoryService, rules };
}

const asArray = (rules: RawRules): DeploymentRule[] => (rules === undefined ? [] : Array.isArray(rules) ? rules : [rules]);

/** The regexes of a rule compile (for rules whose repositories are not known yet). */
function checkPatterns(rule: DeploymentRule, path: string, problems: string[]): void {
  if ('github_deployments' in rule) compile(rule.github_deployments.environment, 'i', `${path}.github_deployments.environment`, problems);
  if ('release' in rule) compile(rule.release.tag_pattern, '', `${path}.release.tag_pattern`, problems);
}

/** Where the first sync starts: `--since`, else `since` from the file, else two years before now. */
export const backfillStart = (config: GitHubConfig, now: Date, since?: Date): Date => firstSyncStart(config.since, now, since);

/**
 * The severity an incident issue's labels give: a configured label first, then labels named
 * sev1..sev5 or P1..P5 (the most severe wins when several), else the default.
 */
export function severityFromLabels(labels: readonly string[], config: Pick<ResolvedConfig, 'severityLabels' | 'defaultSeverity'>): Severity {
  const found: number[] = [];
  for (const label of labels) {
    const configured = config.severityLabels[label.toLowerCase()];
    if (configured) found.push(Number(configured.slice(3)));
    const named = /^(?:sev|p)[-_ ]?([1-5])$/i.exec(label.trim());
    if (named) found.push(Number(named[1]));
  }
  return found.length ? (`sev${Math.min(...found)}` as Severity) : config.defaultSeverity;
}

function compile(pattern: string, flags: string, path: string, problems: string[]): RegExp | null {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    problems.push(`${path}: not a valid regular expression (${(error as Error).message})`);
    return null;
  }
}
