// Push API: any CI/CD or incident tool can send records without a connector, one at a
// time or in batches, or as a whole NDJSON/JSON/CSV file. Re-sending changes nothing.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { RECORD_KINDS, recordSchemas, type RecordKind } from '../../../../connectors/contract.js';
import { detectFormat, importText, parseKind } from '../../../ingest/import-file.js';
import { validateAndIngest } from '../../../ingest/ingest.js';
import { InvalidInput } from '../../../lib/errors.js';
import type { AppDeps } from '../../context.js';
import { ErrorResponse } from '../../schemas/common.js';

export const MAX_BATCH = 10_000;
const RECORD_BODY_LIMIT = 16 * 1024 * 1024;
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

const IngestResult = Type.Object({
  received: Type.Integer(),
  inserted: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
});

const routes: { url: string; kind: RecordKind; summary: string }[] = [
  { url: '/deployments', kind: 'deployment', summary: 'Upsert deployments by (source, external_id)' },
  { url: '/commits', kind: 'commit', summary: 'Upsert commits by (repository, sha)' },
  { url: '/pull-requests', kind: 'pull_request', summary: 'Upsert pull requests by (repository, number)' },
  { url: '/incidents', kind: 'incident', summary: 'Upsert incidents by (source, external_id)' },
  { url: '/ci-runs', kind: 'ci_run', summary: 'Upsert CI runs by (source, external_id)' },
  { url: '/bugs', kind: 'bug', summary: 'Upsert bugs by (source, external_id)' },
];

export async function ingestRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  for (const route of routes) {
    app.post(route.url, {
      bodyLimit: RECORD_BODY_LIMIT,
      schema: {
        tags: ['ingest'],
        summary: route.summary,
        description: `One record or an array of up to ${MAX_BATCH}. All are validated first; if any is bad, nothing is written and every problem is listed with its index and field.`,
        body: Type.Union([recordSchemas[route.kind], Type.Array(recordSchemas[route.kind], { maxItems: MAX_BATCH })]),
        response: { 200: IngestResult, 400: ErrorResponse },
      },
      // Records are validated per item below, so the batch report names each bad index.
      validatorCompiler: () => (data) => ({ value: data }),
    }, async (request) => {
      const body = request.body as unknown;
      if (body === null || typeof body !== 'object') throw new InvalidInput('body must be a record or an array of records', [{ path: '/', message: 'must be an object or an array' }]);
      const list = Array.isArray(body) ? body : [body];
      if (list.length > MAX_BATCH) throw new InvalidInput(`at most ${MAX_BATCH} records per request`, [{ path: '/', message: `has ${list.length} items` }]);
      const single = !Array.isArray(body);
      return validateAndIngest(deps.db, deps.config.org, list.map((value) => ({ kind: route.kind, value })), (i) => (single ? {} : { index: i }));
    });
  }

  // The import endpoint reads its body as text whatever the content type.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post('/import', {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags: ['ingest'],
        summary: 'Import a file of records (NDJSON, JSON or CSV)',
        description:
          'Content-Type application/x-ndjson, application/json or text/csv. Each record may carry a "kind" field ' +
          `(${RECORD_KINDS.join(', ')}); otherwise pass ?kind=. One transaction: a bad line rejects the file ` +
          'with a per-line report.',
        querystring: Type.Object({
          kind: Type.Optional(Type.String({ description: 'kind of every record without its own "kind" field' })),
          format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('json'), Type.Literal('csv')])),
        }),
        response: { 200: IngestResult, 400: ErrorResponse },
      },
    }, async (request) => {
      const query = request.query as { kind?: string; format?: 'ndjson' | 'json' | 'csv' };
      const format = query.format ?? detectFormat(String(request.headers['content-type'] ?? ''));
      if (!format) throw new InvalidInput('unknown file format: send Content-Type application/x-ndjson, application/json or text/csv, or ?format=', [{ path: 'content-type', message: 'unsupported' }]);
      const kind = parseKind(query.kind);
      if (query.kind !== undefined && !kind) throw new InvalidInput(`unknown kind ${JSON.stringify(query.kind)}`, [{ path: 'kind', message: `expected ${RECORD_KINDS.join(', ')}` }]);
      return importText(deps.db, deps.config.org, String(request.body ?? ''), format, kind);
    });
  });
}
