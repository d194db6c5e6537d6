// Compression: the one-call path must make the choices @fastify/compress makes (encoding,
// threshold, types, headers) and send the same content; streams stay with the plugin.
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import compress from '@fastify/compress';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainEncoding, registerCompression } from './compress.js';

describe('plainEncoding', () => {
  it.each([
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip, deflate, br', 'br'],
    ['GZIP, Deflate', 'gzip'],
    ['deflate', 'deflate'],
    ['x-gzip', 'gzip'],
    ['*', 'gzip'],
    ['identity', 'identity'],
    ['zstd', null],
    ['', null],
    [undefined, null],
    ['br;q=0.5, gzip', undefined], // weights: @fastify/compress decides
    ['gzip; q=1', undefined],
  ] as const)('%j → %j', (header, expected) => {
    expect(plainEncoding(header)).toBe(expected);
  });
});

describe('registerCompression', () => {
  const big = { items: Array.from({ length: 200 }, (_, i) => ({ i, text: `item ${i}` })) };
  const routes = async (app: FastifyInstance) => {
    app.get('/big', async () => big);
    app.get('/small', async () => ({ ok: true }));
    app.get('/csv', async (_request, reply) => reply.type('text/csv; charset=utf-8').send('a,b\n'.repeat(1000)));
    app.get('/png', async (_request, reply) => reply.type('image/png').send(Buffer.alloc(4096, 1)));
    app.get('/vary', async (_request, reply) => reply.header('vary', 'origin').send(big));
    app.get('/stream', async (_request, reply) => reply.type('text/plain').send(Readable.from(['x'.repeat(5000)])));
  };
  let ours: FastifyInstance;
  let plugin: FastifyInstance;
  beforeAll(async () => {
    ours = Fastify();
    await registerCompression(ours);
    await routes(ours);
    plugin = Fastify();
    await plugin.register(compress, { global: true, threshold: 1024 });
    await routes(plugin);
  });
  afterAll(async () => {
    await ours.close();
    await plugin.close();
  });

  const decoded = (res: LightMyRequestResponse) => {
    const encoding = res.headers['content-encoding'];
    const body = res.rawPayload;
    if (encoding === 'br') return zlib.brotliDecompressSync(body).toString();
    if (encoding === 'gzip') return zlib.gunzipSync(body).toString();
    if (encoding === 'deflate') return zlib.inflateSync(body).toString();
    return body.toString();
  };

  const encodings = [undefined, 'gzip, deflate, br, zstd', 'gzip', 'deflate', 'br', 'identity', '*', 'zstd', 'br;q=0.1, gzip;q=0.9', 'gzip;q=0'];
  it.each(['/big', '/small', '/csv', '/png', '/vary', '/stream'])('%s: as @fastify/compress for every Accept-Encoding', async (url) => {
    for (const encoding of encodings) {
      for (const extra of [{}, { 'x-no-compression': '1' }]) {
        const headers = { ...(encoding === undefined ? {} : { 'accept-encoding': encoding }), ...extra };
        const [a, b] = [await ours.inject({ url, headers }), await plugin.inject({ url, headers })];
        const what = `${url} ${JSON.stringify(headers)}`;
        expect(a.statusCode, what).toBe(b.statusCode);
        expect(decoded(a), what).toBe(decoded(b));
        for (const header of ['content-type', 'content-encoding', 'vary']) expect(a.headers[header], `${what} ${header}`).toBe(b.headers[header]);
      }
    }
  });

  it('compresses a body in memory to the same bytes, with its length', async () => {
    const headers = { 'accept-encoding': 'br' };
    const [a, b] = [await ours.inject({ url: '/big', headers }), await plugin.inject({ url: '/big', headers })];
    expect(a.rawPayload.equals(b.rawPayload)).toBe(true);
    expect(a.headers['content-length']).toBe(String(a.rawPayload.length));
  });
});
