// The response cache: one load per key and data version, shared by concurrent requests and
// never served under another version; bodies identical to fastify's own, per clock key.
import zlib from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataVersion } from './data-version.js';
import { registerCompression } from './plugins/compress.js';
import { jsonSerializer, ResponseCache } from './response-cache.js';

const version = (snapshot: string, sequence: number): DataVersion => ({ snapshot, sequence });

describe('ResponseCache.data', () => {
  it('loads a key once per version, for concurrent requests too', async () => {
    const cache = new ResponseCache();
    let loads = 0;
    const load = async () => ++loads;
    const v1 = version('10:12:10,11', 1);
    const [a, b] = [cache.data('k', v1, load), cache.data('k', v1, load)];
    expect(a).toBe(b);
    expect(await a.data).toBe(1);
    expect(await cache.data('k', version('10:12:10,11', 2), load).data).toBe(1); // same snapshot, read again
    expect(await cache.data('k', version('10:13:10', 3), load).data).toBe(2); // a write committed
    expect(await cache.data('other', version('10:13:10', 3), load).data).toBe(3);
    expect(loads).toBe(3);
  });

  it('answers a request holding an older version without caching its answer', async () => {
    const cache = new ResponseCache();
    let loads = 0;
    const load = async () => ++loads;
    await cache.data('k', version('b', 2), load).data;
    expect(await cache.data('k', version('a', 1), load).data).toBe(2);
    expect(await cache.data('k', version('b', 2), load).data).toBe(1);
  });

  it('forgets a failed load', async () => {
    const cache = new ResponseCache();
    const v = version('a', 1);
    await expect(cache.data('k', v, async () => { throw new Error('down'); }).data).rejects.toThrow('down');
    expect(await cache.data('k', v, async () => 'up').data).toBe('up');
  });
});

describe('ResponseCache.send', () => {
  const schema = {
    response: {
      200: Type.Object({ at: Type.String(), n: Type.Integer(), rows: Type.Array(Type.Object({ i: Type.Integer(), label: Type.Union([Type.String(), Type.Null()]) })) }),
    },
  };
  const payload = (at: string) => ({ at, n: 3, dropped: 'not in the schema', rows: Array.from({ length: 100 }, (_, i) => ({ i, label: i % 3 ? `row ${i}` : null })) });
  let app: FastifyInstance;
  let builds = 0;
  let loads = 0;
  let snapshot = 's1';
  let sequence = 0;
  let cache: ResponseCache;
  let content = 'same';

  beforeAll(async () => {
    app = Fastify();
    await registerCompression(app);
    app.get('/plain', { schema }, async (request) => payload((request.query as { at: string }).at));
    app.get('/cached', { schema }, async (request, reply) => {
      const at = (request.query as { at: string }).at;
      const entry = cache.data('rows', version(snapshot, ++sequence), async () => ++loads);
      await entry.data;
      return cache.send(request, reply, { key: 'rows', entry, data: await entry.data, nowKey: at, build: () => (builds++, payload(at)), serialize: jsonSerializer(reply) });
    });
    app.get('/content', { schema }, async (request, reply) => {
      const at = (request.query as { at: string }).at;
      const entry = cache.data('rows', version(snapshot, ++sequence), async () => (++loads, content));
      return cache.send(request, reply, {
        key: 'rows', entry, data: await entry.data, nowKey: at, build: () => (builds++, payload(`${at} ${content}`)), serialize: jsonSerializer(reply), content: (data) => data,
      });
    });
    await app.ready();
  });
  afterAll(async () => app.close());

  it('sends the bytes fastify would send, built once per clock key and compressed once per encoding', async () => {
    cache = new ResponseCache();
    for (const encoding of [undefined, 'identity', 'gzip, deflate, br, zstd', 'gzip', 'deflate', 'br;q=0.5, gzip']) {
      for (const at of ['monday', 'tuesday', 'monday']) {
        const headers = encoding ? { 'accept-encoding': encoding } : {};
        const [plain, cached] = [await app.inject({ url: `/plain?at=${at}`, headers }), await app.inject({ url: `/cached?at=${at}`, headers })];
        expect(cached.statusCode).toBe(200);
        for (const header of ['content-type', 'content-encoding', 'vary']) expect(cached.headers[header], `${encoding} ${header}`).toBe(plain.headers[header]);
        const decode = (body: Buffer, enc: unknown) =>
          enc === 'br' ? zlib.brotliDecompressSync(body) : enc === 'gzip' ? zlib.gunzipSync(body) : enc === 'deflate' ? zlib.inflateSync(body) : body;
        expect(decode(cached.rawPayload, cached.headers['content-encoding']).toString()).toBe(decode(plain.rawPayload, plain.headers['content-encoding']).toString());
      }
    }
    expect(loads).toBe(1);
    expect(builds).toBe(2);
  });

  it('reloads and rebuilds after a write', async () => {
    cache = new ResponseCache();
    loads = 0;
    builds = 0;
    await app.inject({ url: '/cached?at=monday' });
    snapshot = 's2';
    await app.inject({ url: '/cached?at=monday' });
    expect([loads, builds]).toEqual([2, 2]);
  });

  it('keeps a body built from a content key across versions that leave that content as it was', async () => {
    cache = new ResponseCache();
    loads = 0;
    builds = 0;
    const get = async () => (await app.inject({ url: '/content?at=monday', headers: { 'accept-encoding': 'br' } })).rawPayload;
    const first = await get();
    snapshot = 's3'; // a write elsewhere: read again, same content
    expect((await get()).equals(first)).toBe(true);
    expect([loads, builds]).toEqual([2, 1]);
    snapshot = 's4';
    content = 'changed';
    const changed = await get();
    expect(zlib.brotliDecompressSync(changed).toString()).toContain('monday changed');
    expect([loads, builds]).toEqual([3, 2]);
  });

  it('keeps to its byte budget, dropping the least recently used entries', async () => {
    const small = new ResponseCache(1);
    let n = 0;
    const v = version('s', 1);
    const a = small.data('a', v, async () => ++n);
    await a.data;
    // A body makes entry "a" exceed the budget alone: it stays while it is the one served.
    const reply = { type: () => reply, header: () => reply, send: () => reply } as never;
    await small.send({ headers: {} } as never, reply, { key: 'a', entry: a, data: 1, nowKey: 'k', build: () => ({ at: 'x' }), serialize: JSON.stringify });
    expect(small.data('a', v, async () => ++n)).toBe(a);
    const b = small.data('b', v, async () => ++n);
    await small.send({ headers: {} } as never, reply, { key: 'b', entry: b, data: 2, nowKey: 'k', build: () => ({ at: 'x' }), serialize: JSON.stringify });
    expect(small.data('a', v, async () => ++n)).not.toBe(a);
  });
});
