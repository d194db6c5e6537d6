// Optional bearer-token auth on /api/v1 (BELLWETHER_API_TOKEN). Compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Unauthorized } from '../../lib/errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function registerBearerAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = digest(token);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!presented || !timingSafeEqual(digest(presented), expected)) throw new Unauthorized();
  });
}
