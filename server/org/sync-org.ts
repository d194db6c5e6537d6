// Mirrors the organisation of bellwether.yaml into the database (teams, services, owners
// with effective dates) and materialises scope_members: which services' records count for
// which scope at which time. Changes that alter history mark the affected cells dirty.
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { isRepositoryPattern, repositoryOwners } from '../../connectors/repository-owners.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { queueDerivations } from '../derive/queue.js';
import { refreshProductionFlags } from '../derive/rederive.js';
import { readSettings, writeSetting } from './settings.js';

const MIN = '-infinity';
const MAX = 'infinity';

export interface MemberInterval {
  scopeType: 'org' | 'team' | 'service';
  scopeId: string;
  serviceId: string;
  from: Date | null;
  to: Date | null;
}

/**
 * The closure of ownership and team nesting over time: a service's records count for its
 * owner team and every ancestor team, each for the interval in which that chain held.
 */
export function scopeMembership(org: OrgConfig): MemberInterval[] {
  const teams = new Map(org.teams.map((team) => [team.id, team]));
  const rows: MemberInterval[] = [];
  const climb = (serviceId: string, teamId: string, from: Date | null, to: Date | null) => {
    rows.push({ scopeType: 'team', scopeId: teamId, serviceId, from, to });
    for (const parent of teams.get(teamId)?.parents ?? []) {
      if (parent.value === null) continue;
      const start = later(from, parent.from);
      const end = earlier(to, parent.to);
      if (start && end && start >= end) continue;
      climb(serviceId, parent.value, start, end);
    }
  };
  for (const service of org.services) {
    rows.push({ scopeType: 'org', scopeId: '', serviceId: service.id, from: null, to: null });
    rows.push({ scopeType: 'service', scopeId: service.id, serviceId: service.id, from: null, to: null });
    for (const owner of service.owners) climb(service.id, owner.value, owner.from, owner.to);
  }
  return rows;
}

/**
 * Repositories that services own by pattern, among those records already name (ingest adds
 * the rest as their first records arrive), so a changed pattern re-maps stored history.
 */
async function patternRepositoryRows(trx: Transaction<Database>, org: OrgConfig): Promise<{ service_id: string; repository: string }[]> {
  const owners = repositoryOwners(org.services);
  if (!owners.hasPatterns) return [];
  const { rows } = await sql<{ repository: string }>`
    select repository from commits group by repository
    union select repository from pull_requests group by repository
    union select repository from ci_runs group by repository`.execute(trx);
  return rows
    .filter((row) => !owners.named.has(row.repository))
    .flatMap((row) => owners.ownersOf(row.repository).map((service_id) => ({ service_id, repository: row.repository })));
}

const later = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a > b ? a : b);
const earlier = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a < b ? a : b);

/** Settings that change derived facts; when their hash changes every service is re-derived. */
function derivationSettings(org: OrgConfig) {
  return {
    implicitFailureLinkage: org.implicitFailureLinkage,
    rework: org.rework,
    production: org.services.map((s) => [s.id, s.productionEnvironment, s.repositories]),
  };
}

/** Settings that change KPI values but no derived fact; when their hash changes every cell is recomputed. */
function computeSettings(org: OrgConfig) {
  // Team time zones decide which pages were out of office hours (on-call load). The default
  // branches decide which CI runs build health counts; a service's repositories decide which
  // pull requests and CI runs count for it (PR cycle time and build health read them directly).
  return {
    recurrenceWindowDays: org.incidents.recurrenceWindowDays,
    teamTimeZones: org.teams.map((team) => [team.id, team.timeZone]),
    ciDefaultBranches: org.ci.defaultBranches,
    repositories: org.services.map((service) => [service.id, service.repositories]),
  };
}

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export interface SyncOrgResult {
  changedServices: string[];
  rederived: boolean;
}

export async function syncOrg(db: Db, org: OrgConfig): Promise<SyncOrgResult> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('bellwether:sync-org'))`.execute(trx);
    const before = await trx
      .selectFrom('scope_members')
      .select(['scope_type', 'scope_id', 'service_id', sql<string>`valid_from::text`.as('valid_from'), sql<string>`valid_to::text`.as('valid_to')])
      .execute();
    const stored = await readSettings(trx);

    // Services gone from the file and without records are dropped; the rest keep their history.
    const configuredServices = org.services.map((s) => s.id);
    await trx.deleteFrom('services')
      .where('id', 'not in', configuredServices.length ? configuredServices : [''])
      .where((eb) => eb.not(eb.exists(eb.selectFrom('deployments').select('id').whereRef('deployments.service_id', '=', 'services.id'))))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('incidents').select('id').whereRef('incidents.service_id', '=', 'services.id'))))
      .execute();
    for (const team of org.teams) {
      await trx.insertInto('teams').values({ id: team.id, name: team.name, time_zone: team.timeZone })
        .onConflict((oc) => oc.column('id').doUpdateSet({ name: team.name, time_zone: team.timeZone })).execute();
    }
    for (const service of org.services) {
      await trx.insertInto('services').values({ id: service.id, name: service.name, production_environment: service.productionEnvironment })
        .onConflict((oc) => oc.column('id').doUpdateSet({ name: service.name, production_environment: service.productionEnvironment })).execute();
    }
    await trx.deleteFrom('team_parents').execute();
    await trx.deleteFrom('service_owners').execute();
    await trx.deleteFrom('service_repositories').execute();
    await trx.deleteFrom('scope_members').execute();
    const parentRows = org.teams.flatMap((team) =>
      team.parents.map((p) => ({ team_id: team.id, parent_id: p.value, valid_from: p.from ?? MIN, valid_to: p.to ?? MAX })),
    );
    if (parentRows.length) await trx.insertInto('team_parents').values(parentRows).execute();
    const ownerRows = org.services.flatMap((service) =>
      service.owners.map((o) => ({ service_id: service.id, team_id: o.value, valid_from: o.from ?? MIN, valid_to: o.to ?? MAX })),
    );
    if (ownerRows.length) await trx.insertInto('service_owners').values(ownerRows).execute();
    const repositoryRows = org.services.flatMap((service) =>
      service.repositories.filter((entry) => !isRepositoryPattern(entry)).map((repository) => ({ service_id: service.id, repository })));
    repositoryRows.push(...(await patternRepositoryRows(trx, org)));
    if (repositoryRows.length) await trx.insertInto('service_repositories').values(repositoryRows).execute();
    // Services that left the configuration keep their records; they still count for the org.
    const known = new Set(org.services.map((s) => s.id));
    const orphans = (await trx.selectFrom('services').select('id').execute()).filter((s) => !known.has(s.id));
    const members = [
      ...scopeMembership(org),
      ...orphans.flatMap((s) => [
        { scopeType: 'org' as const, scopeId: '', serviceId: s.id, from: null, to: null },
        { scopeType: 'service' as const, scopeId: s.id, serviceId: s.id, from: null, to: null },
      ]),
    ];
    for (let i = 0; i < members.length; i += 1000) {
      await trx.insertInto('scope_members').values(
        members.slice(i, i + 1000).map((m) => ({
          scope_type: m.scopeType, scope_id: m.scopeId, service_id: m.serviceId, valid_from: m.from ?? MIN, valid_to: m.to ?? MAX,
        })),
      ).execute();
    }
    const after = await trx
      .selectFrom('scope_members')
      .select(['scope_type', 'scope_id', 'service_id', sql<string>`valid_from::text`.as('valid_from'), sql<string>`valid_to::text`.as('valid_to')])
      .execute();

    // Which services' membership changed: their whole history is recomputed.
    const signature = (rows: typeof before) => {
      const byService = new Map<string, string[]>();
      for (const row of rows) {
        const list = byService.get(row.service_id) ?? [];
        list.push(`${row.scope_type}|${row.scope_id}|${row.valid_from}|${row.valid_to}`);
        byService.set(row.service_id, list);
      }
      return new Map([...byService].map(([id, list]) => [id, list.sort().join(';')]));
    };
    const old = signature(before);
    const now = signature(after);
    const changedServices = [...new Set([...old.keys(), ...now.keys()])].filter((id) => old.get(id) !== now.get(id));

    const derivationHash = hash(derivationSettings(org));
    const timeZoneChanged = stored.has('time_zone') && stored.get('time_zone') !== org.timeZone;
    const computeHash = hash(computeSettings(org));
    const computeSettingsChanged = stored.has('compute_hash') && stored.get('compute_hash') !== computeHash;
    await writeSetting(trx, 'compute_hash', computeHash);
    const rederive = stored.get('derivation_hash') !== derivationHash;
    await writeSetting(trx, 'time_zone', org.timeZone);
    await writeSetting(trx, 'derivation_hash', derivationHash);
    await writeSetting(trx, 'org_name', org.name);

    if (rederive) {
      // The next compute re-derives every service's whole history under the new rules.
      await refreshProductionFlags(trx);
      const all = (await trx.selectFrom('services').select('id').execute()).map((s) => s.id);
      await queueDerivations(trx, all.map((serviceId) => ({ serviceId, from: null })));
    }
    // A new time zone moves every bucket, and a membership change can take records away
    // from a scope (whose old cells no dirty mark would reach): recompute everything next run.
    // So do settings that change values (the recurrence window).
    if (timeZoneChanged || computeSettingsChanged || changedServices.length) await writeSetting(trx, 'full_recompute_pending', true);
    return { changedServices, rederived: rederive };
  });
}
