// The organisation as configured: teams with their hierarchy, services with owners.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { entryAt, type Effective } from '../../../config.js';
import { localDate } from '../../../kpi/periods.js';
import { NotFound } from '../../../lib/errors.js';
import { isDemo } from '../../../org/settings.js';
import type { AppDeps } from '../../context.js';
import { ErrorResponse } from '../../schemas/common.js';

const Effective = Type.Object({ from: Type.Union([Type.String(), Type.Null()]), to: Type.Union([Type.String(), Type.Null()]) });
const TeamSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parent: Type.Union([Type.String(), Type.Null()]),
  parents: Type.Array(Type.Object({ team: Type.Union([Type.String(), Type.Null()]), ...Effective.properties })),
  children: Type.Array(Type.String()),
  services: Type.Array(Type.String()),
});
const ServiceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()]),
  owners: Type.Array(Type.Object({ team: Type.String(), ...Effective.properties })),
  repositories: Type.Array(Type.String()),
  production_environment: Type.String(),
});

export async function orgRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { config, db, clock } = deps;
  const org = config.org;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const current = <T>(entries: readonly Effective<T>[]) => entryAt(entries, clock())?.value ?? null;
  const teamView = (id: string) => {
    const team = org.teams.find((t) => t.id === id)!;
    return {
      id: team.id,
      name: team.name,
      parent: current(team.parents),
      parents: team.parents.map((p) => ({ team: p.value, from: iso(p.from), to: iso(p.to) })),
      children: org.teams.filter((t) => current(t.parents) === team.id).map((t) => t.id),
      services: org.services.filter((s) => current(s.owners) === team.id).map((s) => s.id),
    };
  };
  const serviceView = (service: (typeof org.services)[number]) => ({
    id: service.id,
    name: service.name,
    owner: current(service.owners),
    owners: service.owners.map((o) => ({ team: o.value, from: iso(o.from), to: iso(o.to) })),
    repositories: [...service.repositories],
    production_environment: service.productionEnvironment,
  });

  app.get('/org', {
    schema: {
      tags: ['organisation'],
      summary: 'The organisation: name, time zone, DORA band year, demo flag, teams and services',
      response: {
        200: Type.Object({
          name: Type.String(), time_zone: Type.String(), band_year: Type.Integer(), implicit_failure_linkage: Type.Boolean(),
          demo: Type.Boolean(), config_source: Type.String(),
          today: Type.String({ format: 'date', description: "today in the organisation's time zone, by the server's clock" }),
          teams: Type.Array(TeamSchema), services: Type.Array(ServiceSchema),
        }),
      },
    },
  }, async () => ({
    name: org.name, time_zone: org.timeZone, band_year: org.doraBandYear, implicit_failure_linkage: org.implicitFailureLinkage,
    demo: await isDemo(db), config_source: config.orgSource, today: localDate(clock(), org.timeZone),
    teams: org.teams.map((t) => teamView(t.id)), services: org.services.map(serviceView),
  }));

  app.get('/teams/:id', {
    schema: { tags: ['organisation'], summary: 'One team with its parent, sub-teams and services', params: Type.Object({ id: Type.String() }), response: { 200: TeamSchema, 404: ErrorResponse } },
  }, async (request) => {
    const { id } = request.params as { id: string };
    if (!org.teams.some((t) => t.id === id)) throw new NotFound(`unknown team ${JSON.stringify(id)}`);
    return teamView(id);
  });

  app.get('/services/:id', {
    schema: { tags: ['organisation'], summary: 'One service with its owners over time', params: Type.Object({ id: Type.String() }), response: { 200: ServiceSchema, 404: ErrorResponse } },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const service = org.services.find((s) => s.id === id);
    if (!service) throw new NotFound(`unknown service ${JSON.stringify(id)}`);
    return serviceView(service);
  });
}
