// Liveness and readiness for load balancers and orchestrators.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { pingDatabase } from '../../db/database.js';
import type { AppDeps } from '../context.js';

export async function healthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const Status = Type.Object({ status: Type.String() });
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', {
    schema: { tags: ['health'], summary: 'The database answers', response: { 200: Status, 503: Status } },
  }, async (_request, reply) => ((await pingDatabase(deps.db)) ? { status: 'ready' } : reply.code(503).send({ status: 'database unavailable' })));
}
