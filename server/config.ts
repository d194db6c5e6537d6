// The only parser of process.env and bellwether.yaml. Returns a frozen, typed Config or
// throws ConfigError listing every bad key with its path (issue #3 §6).
import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { DateTime, IANAZone } from 'luxon';
import cron from 'node-cron';
import { Type, type Static } from 'typebox';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { GitHubConfig, resolveGitHubConfig } from '../connectors/github/config.js';
import { OpsgenieConfig } from '../connectors/opsgenie/config.js';
import { PagerDutyConfig } from '../connectors/pagerduty/config.js';
import { KPI_KEYS, type KpiKey } from './kpi/keys.js';
import { ConfigError, type FieldProblem } from './lib/errors.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

export const DEFAULT_PRODUCTION_ENVIRONMENT = '^prod(uction)?$';
export const DEFAULT_SCHEDULE = '*/5 * * * *';
export const DEFAULT_SYNC_SCHEDULE = '*/15 * * * *';
/** Build health's default branches when `ci.default_branches` is unset: git's and GitHub's default names, old and new. */
export const DEFAULT_CI_BRANCHES = ['main', 'master'] as const;

// ---------------------------------------------------------------- bellwether.yaml schema
const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', description: 'lowercase id: letters, digits, . _ -' });
const DateOrTimestamp = Type.Union([
  Type.String({ format: 'date' }),
  Type.String({ format: 'date-time' }),
]);
const Targets = Type.Object(
  Object.fromEntries(KPI_KEYS.map((key) => [key, Type.Optional(Type.Number())])) as Record<KpiKey, ReturnType<typeof Type.Optional<ReturnType<typeof Type.Number>>>>,
  { additionalProperties: false },
);

const TeamSchema = Type.Object(
  {
    id: Slug,
    name: Type.Optional(Type.String({ minLength: 1 })),
    time_zone: Type.Optional(Type.String({ minLength: 1, description: "The team's IANA time zone, for on-call load's office hours (default: the organisation's)." })),
    parent: Type.Optional(Type.Union([Slug, Type.Null()])),
    parents: Type.Optional(
      Type.Array(
        Type.Object({ team: Type.Union([Slug, Type.Null()]), from: Type.Optional(DateOrTimestamp) }, { additionalProperties: false }),
        { minItems: 1 },
      ),
    ),
  },
  { additionalProperties: false },
);

const ServiceSchema = Type.Object(
  {
    id: Slug,
    name: Type.Optional(Type.String({ minLength: 1 })),
    owner: Type.Optional(Slug),
    owners: Type.Optional(
      Type.Array(Type.Object({ team: Slug, from: Type.Optional(DateOrTimestamp) }, { additionalProperties: false }), { minItems: 1 }),
    ),
    repositories: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    production_environment: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const OrgFileSchema = Type.Object(
  {
    organisation: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ minLength: 1 })),
          time_zone: Type.Optional(Type.String({ minLength: 1 })),
          dora_band_year: Type.Optional(Type.Union([Type.Literal(2021), Type.Literal(2022), Type.Literal(2023), Type.Literal(2024)])),
          implicit_failure_linkage: Type.Optional(Type.Boolean()),
          production_environment: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    compute: Type.Optional(Type.Object({ schedule: Type.Optional(Type.String()) }, { additionalProperties: false })),
    sync: Type.Optional(Type.Object({ schedule: Type.Optional(Type.String({ description: 'cron expression of the incident-tool syncs (default every 15 minutes)' })) }, { additionalProperties: false })),
    rework: Type.Optional(
      Type.Object(
        {
          resolution_window_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080 })),
          hotfix_ref_pattern: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
          hotfix_labels: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    incidents: Type.Optional(
      Type.Object(
        {
          recurrence_window_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'An incident recurs when an earlier one with the same root cause was created this many days before it or fewer.' })),
        },
        { additionalProperties: false },
      ),
    ),
    ci: Type.Optional(
      Type.Object(
        {
          default_branches: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
            minItems: 1, uniqueItems: true, description: 'The branches whose CI runs build health counts (names as the CI reports them, exact match).',
          })),
        },
        { additionalProperties: false },
      ),
    ),
    // The incident tools' sections are the connectors' own schemas (connectors/<source>/config.ts).
    github: Type.Optional(GitHubConfig),
    pagerduty: Type.Optional(PagerDutyConfig),
    opsgenie: Type.Optional(OpsgenieConfig),
    teams: Type.Optional(Type.Array(TeamSchema)),
    services: Type.Optional(Type.Array(ServiceSchema)),
    targets: Type.Optional(
      Type.Object(
        {
          org: Type.Optional(Targets),
          teams: Type.Optional(Type.Record(Type.String(), Targets)),
          services: Type.Optional(Type.Record(Type.String(), Targets)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type OrgFile = Static<typeof OrgFileSchema>;

// ---------------------------------------------------------------- the typed result
export type BandYear = 2021 | 2022 | 2023 | 2024;
export type KpiTargets = Partial<Record<KpiKey, number>>;

/** A relationship that holds from `from` (inclusive) to `to` (exclusive); null = unbounded. */
export interface Effective<T> {
  value: T;
  from: Date | null;
  to: Date | null;
}

/** The entry in force at `at`, if any. */
export function entryAt<T>(entries: readonly Effective<T>[], at: Date): Effective<T> | undefined {
  return entries.find((e) => (e.from === null || e.from <= at) && (e.to === null || at < e.to));
}

export interface TeamConfig {
  id: string;
  name: string;
  parents: Effective<string | null>[];
  /** Null: the organisation's. */
  timeZone: string | null;
}

export interface ServiceConfig {
  id: string;
  name: string;
  owners: Effective<string>[];
  repositories: string[];
  productionEnvironment: string;
}

export interface OrgConfig {
  name: string;
  timeZone: string;
  doraBandYear: BandYear;
  implicitFailureLinkage: boolean;
  computeSchedule: string;
  /** When the service syncs the incident tools it has credentials for. */
  syncSchedule: string;
  rework: { resolutionWindowMinutes: number; hotfixRefPattern: string | null; hotfixLabels: string[] };
  /** Incident KPI settings (KPIS.md, Reliability). */
  incidents: { recurrenceWindowDays: number };
  /** Build health settings (KPIS.md, Flow and quality): CI runs record their branch, not whether it is the default. */
  ci: { defaultBranches: string[] };
  /** The `github:` / `pagerduty:` / `opsgenie:` sections as written (validated); null when absent. */
  github: GitHubConfig | null;
  pagerduty: PagerDutyConfig | null;
  opsgenie: OpsgenieConfig | null;
  teams: TeamConfig[];
  services: ServiceConfig[];
  targets: { org: KpiTargets; teams: Record<string, KpiTargets>; services: Record<string, KpiTargets> };
}

export interface EnvConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  configPath: string;
  port: number;
  host: string;
  apiToken: string | undefined;
  logLevel: string;
  /** The built dashboard; unset = dist/web in the package. */
  webDir: string | undefined;
  /** Chromium for the monthly report's PDF. */
  chromiumPath: string;
  /** BELLWETHER_NOW: the service's clock stands at this instant (demos, benchmarks); unset = the system clock. */
  now: Date | undefined;
  /** Incident tools: API credentials and webhook secrets (several, comma-separated, while a secret is rotated). */
  pagerduty: SourceEnv;
  opsgenie: SourceEnv;
  github: GitHubEnv;
}

export interface GitHubEnv extends SourceEnv {
  /** A GitHub App installation instead of a token: GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY (PEM text or a file path), GITHUB_APP_INSTALLATION_ID. */
  app: { appId: string; privateKey: string; installationId: string } | undefined;
}

export interface SourceEnv {
  /** PAGERDUTY_TOKEN / OPSGENIE_API_KEY; unset = no polling. */
  token: string | undefined;
  /** PAGERDUTY_API_URL / OPSGENIE_API_URL; unset = the tool's public API. */
  apiUrl: string | undefined;
  /** PAGERDUTY_WEBHOOK_SECRET / OPSGENIE_WEBHOOK_SECRET; empty = the webhook endpoint is off. */
  webhookSecrets: string[];
}

export interface Config {
  env: EnvConfig;
  org: OrgConfig;
  /** `file` when bellwether.yaml exists; `demo` when the built-in demo organisation is used. */
  orgSource: 'file' | 'demo';
}

// ---------------------------------------------------------------- environment
export function parseEnv(env: NodeJS.ProcessEnv): EnvConfig {
  const problems: FieldProblem[] = [];
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push({ path: 'env.PORT', message: `must be a port number, got ${JSON.stringify(env.PORT)}` });
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push({ path: 'env.DATABASE_URL', message: 'must start with postgres:// or postgresql://' });
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push({ path: 'env.LOG_LEVEL', message: 'must be one of fatal, error, warn, info, debug, trace, silent' });
  }
  // An instant, so the zone must be explicit (as in the push API's timestamps).
  const now = env.BELLWETHER_NOW ? new Date(env.BELLWETHER_NOW) : undefined;
  if (env.BELLWETHER_NOW && (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(env.BELLWETHER_NOW) || Number.isNaN(now!.getTime()))) {
    problems.push({ path: 'env.BELLWETHER_NOW', message: `must be an ISO 8601 timestamp with a zone (Z or ±hh:mm), got ${JSON.stringify(env.BELLWETHER_NOW)}` });
  }
  const pagerduty = sourceEnv(env, 'PAGERDUTY_TOKEN', 'PAGERDUTY_API_URL', 'PAGERDUTY_WEBHOOK_SECRET', problems);
  const opsgenie = sourceEnv(env, 'OPSGENIE_API_KEY', 'OPSGENIE_API_URL', 'OPSGENIE_WEBHOOK_SECRET', problems);
  const github: GitHubEnv = { ...sourceEnv(env, 'GITHUB_TOKEN', 'GITHUB_API_URL', 'GITHUB_WEBHOOK_SECRET', problems), app: gitHubApp(env, problems) };
  if (problems.length) throw new ConfigError(problems);
  return {
    databaseUrl,
    dataDir: env.BELLWETHER_DATA_DIR || './data',
    configPath: env.BELLWETHER_CONFIG || './bellwether.yaml',
    port,
    host: env.HOST || '127.0.0.1',
    apiToken: env.BELLWETHER_API_TOKEN || undefined,
    logLevel,
    webDir: env.BELLWETHER_WEB_DIR || undefined,
    chromiumPath: env.BELLWETHER_CHROMIUM_PATH || '/usr/bin/chromium',
    now,
    pagerduty,
    opsgenie,
    github,
  };
}

/** All three GITHUB_APP_* variables or none; the key may be the PEM itself or a path to it. */
function gitHubApp(env: NodeJS.ProcessEnv, problems: FieldProblem[]): GitHubEnv['app'] {
  const names = ['GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_INSTALLATION_ID'] as const;
  const [appId, key, installationId] = names.map((name) => env[name] || undefined);
  if (!appId && !key && !installationId) return undefined;
  const missing = names.filter((name) => !env[name]);
  if (missing.length) {
    problems.push({ path: `env.${missing[0]}`, message: `a GitHub App needs ${names.join(', ')}; missing ${missing.join(', ')}` });
    return undefined;
  }
  for (const [name, value] of [['GITHUB_APP_ID', appId], ['GITHUB_APP_INSTALLATION_ID', installationId]] as const) {
    if (!/^\d+$/.test(value!)) problems.push({ path: `env.${name}`, message: `must be a number, got ${JSON.stringify(value)}` });
  }
  let privateKey = key!;
  if (!privateKey.includes('-----BEGIN')) {
    if (!existsSync(privateKey)) {
      problems.push({ path: 'env.GITHUB_APP_PRIVATE_KEY', message: 'must be the PEM key or the path of a file holding it' });
      return undefined;
    }
    privateKey = readFileSync(privateKey, 'utf8');
  }
  return { appId: appId!, privateKey, installationId: installationId! };
}

function sourceEnv(env: NodeJS.ProcessEnv, tokenName: string, urlName: string, secretName: string, problems: FieldProblem[]): SourceEnv {
  const apiUrl = env[urlName] || undefined;
  if (apiUrl && !/^https?:\/\/[^\s]+$/.test(apiUrl)) problems.push({ path: `env.${urlName}`, message: `must be an http(s) URL, got ${JSON.stringify(apiUrl)}` });
  const secrets = (env[secretName] ?? '').split(',').map((secret) => secret.trim()).filter(Boolean);
  // A short shared secret is guessable: the webhook would accept forged incidents.
  if (secrets.some((secret) => secret.length < 16)) problems.push({ path: `env.${secretName}`, message: 'each secret must be at least 16 characters' });
  return { token: env[tokenName] || undefined, apiUrl, webhookSecrets: secrets };
}

// ---------------------------------------------------------------- organisation file
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const validateOrgFile = ajv.compile<OrgFile>(OrgFileSchema);
// Same schema, but drops unknown keys in place: after schema problems the rest of the file
// is still checked, so one run lists every problem (unknown keys and bad values alike).
const validateOrgFileWithoutUnknownKeys = addFormats(new Ajv({ allErrors: true, strict: false, removeAdditional: true })).compile<OrgFile>(OrgFileSchema);

/** Parses bellwether.yaml text; every problem is collected and thrown together. */
export function parseOrgConfig(text: string, file = 'bellwether.yaml'): OrgConfig {
  // prettyErrors (the default) is what fills in error.linePos.
  const document: Document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problems: FieldProblem[] = [];
  for (const error of [...document.errors, ...document.warnings]) {
    const line = error.linePos?.[0]?.line;
    problems.push({ path: `${file}:${line ?? '?'}`, message: (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:$/, ''), ...(line ? { line } : {}) });
  }
  if (problems.length) throw new ConfigError(problems);
  const raw: unknown = document.toJS() ?? {};
  if (!validateOrgFile(raw)) {
    problems.push(...schemaProblems(validateOrgFile.errors ?? [], document, text));
    if (!validateOrgFileWithoutUnknownKeys(raw)) throw new ConfigError(problems);
    return checkOrg(raw, problems); // throws: problems is not empty
  }
  return checkOrg(raw, problems);
}

function schemaProblems(errors: ErrorObject[], document: Document, text: string): FieldProblem[] {
  const seen = new Set<string>();
  const out: FieldProblem[] = [];
  for (const error of errors) {
    // A union reports each failing branch; keep the first message per path.
    let path = pointerToPath(error.instancePath);
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      path = path ? `${path}.${key}` : key;
      message = 'unknown key';
    } else if (error.keyword === 'required') {
      const key = (error.params as { missingProperty: string }).missingProperty;
      path = path ? `${path}.${key}` : key;
      message = 'is required';
    }
    if (error.keyword === 'anyOf' && seen.has(path)) continue;
    if (seen.has(path) && error.keyword !== 'additionalProperties') continue;
    seen.add(path);
    const unknownKey = error.keyword === 'additionalProperties' ? (error.params as { additionalProperty: string }).additionalProperty : undefined;
    const line = lineOf(document, text, error.instancePath, unknownKey);
    out.push({ path: path || '(root)', message, ...(line ? { line } : {}) });
  }
  return out;
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment), '');
}

/** Line of the node at `pointer` (or of its key `key`) in the source text the ranges index into. */
function lineOf(document: Document, text: string, pointer: string, key?: string): number | undefined {
  const keys = pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~')).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  const node = (keys.length ? document.getIn(keys, true) : document.contents) as { range?: [number, number, number] } | undefined;
  const pair = key !== undefined && isMap(node) ? node.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
  const offset = isScalar(pair?.key) ? pair.key.range?.[0] : node?.range?.[0];
  if (offset === undefined) return undefined;
  return text.slice(0, offset).split('\n').length;
}

function checkOrg(file: OrgFile, problems: FieldProblem[]): OrgConfig {
  const timeZone = file.organisation?.time_zone ?? 'UTC';
  if (!IANAZone.isValidZone(timeZone)) problems.push({ path: 'organisation.time_zone', message: `unknown IANA time zone ${JSON.stringify(timeZone)}` });
  const zone = IANAZone.isValidZone(timeZone) ? timeZone : 'UTC';
  const productionEnvironment = file.organisation?.production_environment ?? DEFAULT_PRODUCTION_ENVIRONMENT;
  checkRegex(productionEnvironment, 'organisation.production_environment', problems);
  const computeSchedule = file.compute?.schedule ?? DEFAULT_SCHEDULE;
  if (!cron.validate(computeSchedule)) problems.push({ path: 'compute.schedule', message: `not a valid cron expression: ${JSON.stringify(computeSchedule)}` });
  const syncSchedule = file.sync?.schedule ?? DEFAULT_SYNC_SCHEDULE;
  if (!cron.validate(syncSchedule)) problems.push({ path: 'sync.schedule', message: `not a valid cron expression: ${JSON.stringify(syncSchedule)}` });
  const hotfixRefPattern = file.rework?.hotfix_ref_pattern === undefined ? '^hotfix[/-]' : file.rework.hotfix_ref_pattern;
  if (hotfixRefPattern) checkRegex(hotfixRefPattern, 'rework.hotfix_ref_pattern', problems);

  const teamIds = new Set<string>();
  (file.teams ?? []).forEach((team, index) => {
    if (teamIds.has(team.id)) problems.push({ path: `teams[${index}].id`, message: `duplicate team id ${JSON.stringify(team.id)}` });
    teamIds.add(team.id);
  });

  const teams: TeamConfig[] = (file.teams ?? []).map((team, index) => {
    const path = `teams[${index}]`;
    if (team.parent !== undefined && team.parents !== undefined) problems.push({ path: `${path}.parents`, message: 'give either parent or parents, not both' });
    const entries = team.parents ?? [{ team: team.parent ?? null }];
    const parents = toEffective(entries.map((e) => ({ value: e.team, from: e.from })), zone, `${path}.parents`, problems);
    entries.forEach((entry, i) => {
      const at = team.parents ? `${path}.parents[${i}].team` : `${path}.parent`;
      if (entry.team !== null && !teamIds.has(entry.team)) problems.push({ path: at, message: `unknown team ${JSON.stringify(entry.team)}` });
      if (entry.team === team.id) problems.push({ path: at, message: 'a team cannot be its own parent' });
    });
    if (team.time_zone !== undefined && !IANAZone.isValidZone(team.time_zone)) {
      problems.push({ path: `teams[${index}].time_zone`, message: `unknown IANA time zone ${JSON.stringify(team.time_zone)}` });
    }
    return { id: team.id, name: team.name ?? team.id, parents, timeZone: team.time_zone ?? null };
  });
  const cycle = findCycle(teams);
  if (cycle) problems.push({ path: 'teams', message: `team hierarchy has a cycle: ${cycle.join(' -> ')}` });

  const serviceIds = new Set<string>();
  const repositoryOwner = new Map<string, string>();
  const services: ServiceConfig[] = (file.services ?? []).map((service, index) => {
    const path = `services[${index}]`;
    if (serviceIds.has(service.id)) problems.push({ path: `${path}.id`, message: `duplicate service id ${JSON.stringify(service.id)}` });
    serviceIds.add(service.id);
    if (service.owner === undefined && service.owners === undefined) problems.push({ path: `${path}.owner`, message: 'is required (or give owners)' });
    if (service.owner !== undefined && service.owners !== undefined) problems.push({ path: `${path}.owners`, message: 'give either owner or owners, not both' });
    const entries = service.owners ?? (service.owner ? [{ team: service.owner }] : []);
    entries.forEach((entry, i) => {
      const at = service.owners ? `${path}.owners[${i}].team` : `${path}.owner`;
      if (!teamIds.has(entry.team)) problems.push({ path: at, message: `unknown team ${JSON.stringify(entry.team)}` });
    });
    const owners = toEffective(entries.map((e) => ({ value: e.team, from: e.from })), zone, `${path}.owners`, problems);
    const repositories = service.repositories ?? [];
    repositories.forEach((repository, i) => {
      const other = repositoryOwner.get(repository);
      if (other && other !== service.id) {
        // A monorepo may back several services; that is allowed and noted in docs.
      }
      repositoryOwner.set(repository, service.id);
      if (repositories.indexOf(repository) !== i) problems.push({ path: `${path}.repositories[${i}]`, message: 'duplicate repository' });
    });
    const environmentRule = service.production_environment ?? productionEnvironment;
    if (service.production_environment) checkRegex(service.production_environment, `${path}.production_environment`, problems);
    return { id: service.id, name: service.name ?? service.id, owners, repositories, productionEnvironment: environmentRule };
  });

  const targets = { org: file.targets?.org ?? {}, teams: file.targets?.teams ?? {}, services: file.targets?.services ?? {} };
  for (const id of Object.keys(targets.teams)) if (!teamIds.has(id)) problems.push({ path: `targets.teams.${id}`, message: `unknown team ${JSON.stringify(id)}` });
  for (const id of Object.keys(targets.services)) if (!serviceIds.has(id)) problems.push({ path: `targets.services.${id}`, message: `unknown service ${JSON.stringify(id)}` });
  // GitHub rules must fit the services' repositories (a rule naming the service a shared repository deploys, …).
  if (file.github) {
    const services = (file.services ?? []).map((s) => ({ id: s.id, repositories: s.repositories ?? [] }));
    for (const problem of resolveGitHubConfig(file.github, services).problems) problems.push({ path: 'github', message: problem });
  }
  // Incident tools may only map to services that exist.
  const mapped: [string, string][] = [
    ...Object.entries(file.pagerduty?.services ?? {}).map(([key, id]): [string, string] => [`pagerduty.services.${key}`, id]),
    ...Object.entries(file.opsgenie?.incidents?.services ?? {}).map(([key, id]): [string, string] => [`opsgenie.incidents.services.${key}`, id]),
    ...(file.opsgenie?.alerts?.default_service ? [['opsgenie.alerts.default_service', file.opsgenie.alerts.default_service] as [string, string]] : []),
  ];
  for (const [path, id] of mapped) if (!serviceIds.has(id)) problems.push({ path, message: `unknown service ${JSON.stringify(id)}` });

  if (problems.length) throw new ConfigError(problems);
  return deepFreeze({
    name: file.organisation?.name ?? 'Organisation',
    timeZone: zone,
    doraBandYear: (file.organisation?.dora_band_year ?? 2023) as BandYear,
    implicitFailureLinkage: file.organisation?.implicit_failure_linkage ?? true,
    computeSchedule,
    syncSchedule,
    rework: {
      resolutionWindowMinutes: file.rework?.resolution_window_minutes ?? 60,
      hotfixRefPattern,
      hotfixLabels: file.rework?.hotfix_labels ?? ['hotfix'],
    },
    incidents: { recurrenceWindowDays: file.incidents?.recurrence_window_days ?? 90 },
    ci: { defaultBranches: file.ci?.default_branches ?? [...DEFAULT_CI_BRANCHES] },
    github: file.github ?? null,
    pagerduty: file.pagerduty ?? null,
    opsgenie: file.opsgenie ?? null,
    teams,
    services,
    targets,
  });
}

function checkRegex(pattern: string, path: string, problems: FieldProblem[]): void {
  try {
    new RegExp(pattern, 'i');
  } catch (error) {
    problems.push({ path, message: `not a valid regular expression: ${(error as Error).message}` });
  }
}

/** Turns an ordered list of `{value, from}` into back-to-back effective intervals. */
function toEffective<T>(entries: { value: T; from?: string | undefined }[], zone: string, path: string, problems: FieldProblem[]): Effective<T>[] {
  const starts = entries.map((entry, i) => {
    if (entry.from === undefined) {
      if (i > 0) problems.push({ path: `${path}[${i}].from`, message: 'is required on every entry after the first' });
      return null;
    }
    // A date is local midnight in the org zone; a timestamp keeps its own offset. The schema's
    // date-time (RFC 3339) also allows a space or a lowercase t before the time; luxon wants T.
    const iso = entry.from.replace(/^(\d{4}-\d\d-\d\d)[Tt ]/, '$1T');
    const at = iso.includes('T') ? DateTime.fromISO(iso, { setZone: true }) : DateTime.fromISO(iso, { zone });
    if (!at.isValid) problems.push({ path: `${path}[${i}].from`, message: 'is not a valid date' });
    return at.isValid ? at.toJSDate() : null;
  });
  for (let i = 1; i < starts.length; i++) {
    const previous = starts[i - 1];
    const current = starts[i];
    if (previous && current && current <= previous) problems.push({ path: `${path}[${i}].from`, message: 'must be later than the entry before it' });
  }
  return entries.map((entry, i) => ({ value: entry.value, from: starts[i] ?? null, to: starts[i + 1] ?? null }));
}

function findCycle(teams: TeamConfig[]): string[] | undefined {
  const edges = new Map<string, Set<string>>();
  for (const team of teams) edges.set(team.id, new Set(team.parents.map((p) => p.value).filter((p): p is string => p !== null)));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const team of teams) {
    const found = visit(team.id);
    if (found) return found;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}


/** Reads env and the organisation file; without a file, the demo organisation is used. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const envConfig = parseEnv(env);
  if (existsSync(envConfig.configPath)) {
    const org = parseOrgConfig(readFileSync(envConfig.configPath, 'utf8'), envConfig.configPath);
    return Object.freeze({ env: envConfig, org, orgSource: 'file' as const });
  }
  if (env.BELLWETHER_CONFIG) {
    throw new ConfigError([{ path: 'env.BELLWETHER_CONFIG', message: `file not found: ${envConfig.configPath}` }]);
  }
  const org = parseOrgConfig(readFileSync(demoConfigFile(), 'utf8'), 'demo-org.yaml');
  return Object.freeze({ env: envConfig, org, orgSource: 'demo' as const });
}

/** The demo organisation's YAML ships beside the sources (and is copied next to dist). */
export function demoConfigFile(): string {
  const candidates = [new URL('./demo/demo-org.yaml', import.meta.url), new URL('../../server/demo/demo-org.yaml', import.meta.url)];
  for (const candidate of candidates) if (existsSync(candidate)) return candidate.pathname;
  throw new Error('demo-org.yaml is missing from the installation');
}
