// One incident and what it is linked to, and its cause set by a person (issue #6: explicit
// links — a deployment id, a commit sha or a pull request — set via the API take precedence
// over the implicit service-scoped rule). A cause set here outlives syncs of the incident
// (ingest/incident-events.ts) until it is changed or cleared here; the next compute re-derives.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Type, type Static } from 'typebox';
import { IncidentRecord } from '../../../../connectors/contract.js';
import type { Db } from '../../../db/database.js';
import { catalogOf, ingestInTransaction } from '../../../ingest/ingest.js';
import { validateRecords } from '../../../ingest/validate.js';
import { InvalidInput, NotFound } from '../../../lib/errors.js';
import type { AppDeps } from '../../context.js';
import { ErrorResponse, Nullable } from '../../schemas/common.js';

const IncidentParams = Type.Object({
  source: Type.String({ minLength: 1, maxLength: 500 }),
  external_id: Type.String({ minLength: 1, maxLength: 500 }),
});
type IncidentParams = Static<typeof IncidentParams>;

const CauseBody = Type.Object(
  {
    deployment_external_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 500, description: 'external_id of the deployment that caused it' }))),
    commit_sha: Type.Optional(Nullable(Type.String({ pattern: '^[0-9a-fA-F]{7,64}$', description: 'a commit that caused it; links to the deployment of the service that shipped it' }))),
    pull_request: Type.Optional(Nullable(Type.String({ pattern: '^[^#\\s]+/[^#\\s]+#[1-9][0-9]*$', maxLength: 500, description: 'owner/repo#number of the pull request that caused it' }))),
  },
  { additionalProperties: false, minProperties: 1 },
);

const LinkedDeployment = Type.Object({
  deployment_id: Type.Integer(),
  source: Type.String(),
  external_id: Type.String(),
  service_id: Type.String(),
  finished_at: Type.String({ format: 'date-time' }),
  url: Nullable(Type.String()),
  reason: Type.String({ description: 'deployment_id, commit or pull_request (api: prefixed when set here), or implicit (the service-scoped rule)' }),
});

const IncidentView = Type.Object({
  id: Type.Integer(),
  source: Type.String(),
  external_id: Type.String(),
  service_id: Type.String(),
  severity: Type.String(),
  title: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  acknowledged_at: Nullable(Type.String({ format: 'date-time' })),
  resolved_at: Nullable(Type.String({ format: 'date-time' })),
  urgency: Nullable(Type.String()),
  cause: Type.Object({
    deployment_external_id: Nullable(Type.String()),
    commit_sha: Nullable(Type.String()),
    pull_request: Nullable(Type.String()),
    set_via: Type.Union([Type.Literal('api'), Type.Literal('source')]),
  }),
  failed_deployments: Type.Array(LinkedDeployment, { description: 'as of the last compute, which derives the links' }),
  url: Nullable(Type.String()),
});

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

async function incidentView(db: Db, params: IncidentParams): Promise<Static<typeof IncidentView>> {
  const incident = await db.selectFrom('incidents').selectAll().where('source', '=', params.source).where('external_id', '=', params.external_id).executeTakeFirst();
  if (!incident) throw new NotFound(`no incident ${params.external_id} from ${params.source}`);
  const { rows: links } = await sql<{ deployment_id: number; source: string; external_id: string; service_id: string; finished_at: Date; url: string | null; reason: string }>`
    select d.id as deployment_id, d.source, d.external_id, d.service_id, f.finished_at, d.url, f.failure_link_reasons[array_position(f.failure_incident_ids, ${incident.id}::int)] as reason
    from deployment_facts f join deployments d on d.id = f.deployment_id
    where f.failure_incident_ids @> array[${incident.id}::int]
    order by f.finished_at, d.id`.execute(db);
  return {
    id: incident.id, source: incident.source, external_id: incident.external_id, service_id: incident.service_id, severity: incident.severity,
    title: incident.title, created_at: iso(incident.created_at)!, acknowledged_at: iso(incident.acknowledged_at), resolved_at: iso(incident.resolved_at),
    urgency: incident.urgency,
    cause: {
      deployment_external_id: incident.deployment_external_id, commit_sha: incident.cause_commit_sha, pull_request: incident.cause_pull_request,
      set_via: incident.cause_set_via === 'api' ? 'api' : 'source',
    },
    failed_deployments: links.map((link) => ({ ...link, finished_at: iso(link.finished_at)! })),
    url: incident.url,
  };
}

export async function incidentRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { db, config } = deps;
  const schema = { params: IncidentParams, response: { 200: IncidentView, 400: ErrorResponse, 404: ErrorResponse } };

  app.get('/incidents/:source/:external_id', {
    schema: { tags: ['incidents'], summary: 'One incident, its cause and the failed deployments it is linked to (with why)', ...schema },
  }, async (request) => incidentView(db, request.params as IncidentParams));

  // Sets (or with null, clears) the cause: written through ingest like any change to the incident.
  const writeCause = async (params: IncidentParams, cause: { deployment_external_id: string | null; cause_commit_sha: string | null; cause_pull_request: string | null; cause_set_via: 'api' | null }) => {
    await db.transaction().execute(async (trx) => {
      const { rows: [stored] } = await sql<{ payload: IncidentRecord }>`
        select payload from incidents where source = ${params.source} and external_id = ${params.external_id} for update`.execute(trx);
      if (!stored) throw new NotFound(`no incident ${params.external_id} from ${params.source}`);
      const { records, problems } = validateRecords([{ kind: 'incident', value: { ...stored.payload, ...cause } }], catalogOf(config.org), () => ({}));
      if (problems.length) throw new InvalidInput('the incident with this cause is invalid', problems);
      await ingestInTransaction(trx, config.org, records);
    });
    return incidentView(db, params);
  };

  app.put('/incidents/:source/:external_id/cause', {
    bodyLimit: 4096,
    schema: {
      tags: ['incidents'],
      summary: 'Sets what caused the incident; it takes precedence over the implicit rule and over what a sync brings',
      description: 'Fields left out are cleared: the cause is what this request says. The links are re-derived by the next compute.',
      body: CauseBody,
      ...schema,
    },
  }, async (request) => {
    const body = request.body as Static<typeof CauseBody>;
    const cause = { deployment_external_id: body.deployment_external_id ?? null, cause_commit_sha: body.commit_sha?.toLowerCase() ?? null, cause_pull_request: body.pull_request ?? null };
    if (!cause.deployment_external_id && !cause.cause_commit_sha && !cause.cause_pull_request) {
      throw new InvalidInput('name at least one cause', [{ path: '/', message: 'set deployment_external_id, commit_sha or pull_request (DELETE clears the cause)' }]);
    }
    return writeCause(request.params as IncidentParams, { ...cause, cause_set_via: 'api' });
  });

  app.delete('/incidents/:source/:external_id/cause', {
    schema: { tags: ['incidents'], summary: 'Clears a cause set through the API; the next sync of the incident brings its own again', ...schema },
  }, async (request) => writeCause(request.params as IncidentParams, { deployment_external_id: null, cause_commit_sha: null, cause_pull_request: null, cause_set_via: null }));
}
