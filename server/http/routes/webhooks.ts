// Signed webhooks from incident tools (DESIGN.md, Interfaces): POST /webhooks/<source>.
// The signature (or shared secret) is checked over the raw body before anything is parsed,
// so an unauthenticated request gets 401 and writes nothing; a verified delivery is stored
// once and its event merged into the incident (ingest/webhook-deliveries.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StreamKey } from '../../../connectors/contract.js';
import { Type } from 'typebox';
import { AppError, InvalidInput, Unauthorized } from '../../lib/errors.js';
import { receiveDelivery, type TranslatedDelivery } from '../../ingest/webhook-deliveries.js';
import type { AppDeps } from '../context.js';
import { ErrorResponse } from '../schemas/common.js';

/** Incident tools post single events of a few KB; a megabyte leaves ample room. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface WebhookSource {
  /** The path segment and the `source` of the incidents it writes. */
  name: string;
  /** Names the environment variable to set, for the "not configured" answer. */
  secretVariable: string;
  secrets: readonly string[];
  /** What the 401 says is wrong. */
  credential: string;
  verify(rawBody: Buffer, headers: FastifyRequest['headers'], secrets: readonly string[]): boolean;
  translate(body: unknown, rawBody: Buffer, headers: FastifyRequest['headers']): TranslatedDelivery;
  /** Polls these streams now (after the answer is sent), when the source can: what the delivery held only in part. */
  refresh?(streams: StreamKey[]): Promise<unknown>;
}

const DeliveryResponse = Type.Object({
  status: Type.Union([Type.Literal('applied'), Type.Literal('pending'), Type.Literal('ignored'), Type.Literal('duplicate')], {
    description: 'applied: merged into the incident; pending: kept until the incident is known; ignored: nothing to apply; duplicate: this delivery was received before and changed nothing now.',
  }),
  delivery_id: Type.String(),
  reason: Type.Optional(Type.String()),
  problems: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String(), index: Type.Optional(Type.Integer()) }))),
});

export async function webhookRoutes(app: FastifyInstance, deps: AppDeps, sources: WebhookSource[]): Promise<void> {
  // The raw bytes are what the signature covers: the body is kept as a buffer and parsed here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
  // Refreshes run after the answer; closing the app waits for them.
  const refreshing = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...refreshing]);
  });

  for (const source of sources) {
    app.post(`/webhooks/${source.name}`, {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        tags: ['webhooks'],
        summary: `Receive a ${source.name} webhook delivery`,
        description: `Authenticated by ${source.credential} (secret from ${source.secretVariable}; several, comma-separated, during rotation). A redelivery changes nothing; events may arrive in any order.`,
        response: { 202: DeliveryResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse },
      },
    }, async (request, reply) => {
      if (!source.secrets.length) {
        throw new AppError('not_configured', 404, `${source.name} webhooks are off: set ${source.secretVariable} to turn them on`);
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (!source.verify(raw, request.headers, source.secrets)) throw new Unauthorized(`missing or invalid ${source.credential}`);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new InvalidInput('body must be JSON', [{ path: '/', message: 'is not valid JSON' }]);
      }
      let delivery: TranslatedDelivery;
      try {
        delivery = source.translate(body, raw, request.headers);
      } catch (error) {
        throw new InvalidInput(`not a ${source.name} webhook body: ${(error as Error).message}`);
      }
      const outcome = await receiveDelivery(deps.db, deps.config.org, source.name, delivery, raw.toString('utf8'));
      request.log.info({ source: source.name, delivery: delivery.deliveryId, event: delivery.eventType, status: outcome.status }, 'webhook');
      if (outcome.status !== 'duplicate' && delivery.refresh?.length && source.refresh) {
        const run = source.refresh(delivery.refresh).catch((error: unknown) => request.log.error({ err: error, source: source.name }, 'webhook refresh failed'));
        refreshing.add(run);
        void run.finally(() => refreshing.delete(run));
      }
      return reply.code(202).send({ delivery_id: delivery.deliveryId, ...outcome });
    });
  }
}
