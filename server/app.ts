// buildApp(deps) → a FastifyInstance that never listens itself (tests use inject).
// Routes are registered here explicitly so the wiring can be found with grep.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { recordSchemas } from '../connectors/contract.js';
import type { AppDeps } from './http/context.js';
import { registerBearerAuth } from './http/plugins/auth.js';
import { registerCompression } from './http/plugins/compress.js';
import { registerErrorHandler } from './http/plugins/errors.js';
import { defaultWebDir, registerWeb } from './http/plugins/static-web.js';
import { healthRoutes } from './http/routes/health.js';
import { incidentRoutes } from './http/routes/v1/incidents.js';
import { ingestRoutes } from './http/routes/v1/ingest.js';
import { jobRoutes } from './http/routes/v1/jobs.js';
import { kpiRoutes } from './http/routes/v1/kpis.js';
import { orgRoutes } from './http/routes/v1/org.js';
import { reportRoutes } from './http/routes/v1/reports.js';
import { reportPdfRoutes } from './http/routes/v1/report-pdf.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { webhookSources } from './http/webhook-sources.js';

export async function buildApp(deps: AppDeps, options: { logger?: FastifyServerOptions['logger'] } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 16 * 1024 * 1024,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    return503OnClosing: true,
  });
  registerErrorHandler(app);
  registerBearerAuth(app, deps.config.env.apiToken);
  // gzip/brotli for JSON and the dashboard's files alike (the first screen's budget is compressed bytes).
  await registerCompression(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bellwether API',
        version: '1',
        description: 'Engineering metrics you can explain: push records, read the scorecard, list the records behind any number.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          DeploymentRecord: recordSchemas.deployment,
          CommitRecord: recordSchemas.commit,
          PullRequestRecord: recordSchemas.pull_request,
          IncidentRecord: recordSchemas.incident,
          CiRunRecord: recordSchemas.ci_run,
          BugRecord: recordSchemas.bug,
        } as Record<string, object>,
      },
      ...(deps.config.env.apiToken ? { security: [{ bearer: [] }] } : {}),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register((scope) => healthRoutes(scope, deps));
  await app.register((scope) => orgRoutes(scope, deps), { prefix: '/api/v1' });
  await app.register((scope) => kpiRoutes(scope, deps), { prefix: '/api/v1' });
  await app.register((scope) => ingestRoutes(scope, deps), { prefix: '/api/v1' });
  await app.register((scope) => incidentRoutes(scope, deps), { prefix: '/api/v1' });
  await app.register((scope) => jobRoutes(scope, deps), { prefix: '/api/v1' });
  await app.register((scope) => reportRoutes(scope, deps), { prefix: '/api/v1' });
  await app.register((scope) => reportPdfRoutes(scope, deps, app), { prefix: '/api/v1' });
  await app.register((scope) => webhookRoutes(scope, deps, webhookSources(deps, app.log)));
  await app.register((scope) => registerWeb(scope, deps.config.env.webDir ?? defaultWebDir()));
  return app;
}
