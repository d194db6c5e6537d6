// One error handler: AppErrors map to { error: { code, message, problems } }; request
// validation failures name the field; a 5xx never leaks its message (fastify/demo).
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, type FieldProblem } from '../../lib/errors.js';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      return reply.code(error.statusCode).send({
        error: { code: error.code, message: error.message, ...(error.problems.length ? { problems: error.problems } : {}) },
      });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const problems: FieldProblem[] = fastifyError.validation.map((issue) => {
        const params = issue.params as Record<string, unknown>;
        const field = issue.keyword === 'required' ? `/${String(params.missingProperty)}` : issue.keyword === 'additionalProperties' ? `/${String(params.additionalProperty)}` : '';
        return { path: `${fastifyError.validationContext ?? ''}${issue.instancePath}${field}` || '/', message: issue.message ?? 'is invalid' };
      });
      return reply.code(400).send({ error: { code: 'invalid_input', message: 'request validation failed', problems } });
    }
    const status = fastifyError.statusCode ?? 500;
    if (status < 500) {
      const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 404 ? 'not_found' : 'bad_request';
      return reply.code(status).send({ error: { code, message: fastifyError.message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: { code: 'internal', message: 'internal server error' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
