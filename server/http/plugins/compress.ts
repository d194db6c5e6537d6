// Response compression: gzip/brotli for JSON and the dashboard's files alike (the first
// screen's budget is compressed bytes). A body already in memory is compressed in one call on
// the thread pool; @fastify/compress, which pipes every body through a fresh stream chain
// (about 1 ms per scorecard, 20 ms per 190 kB series), is left the streams (static files).
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import compress from '@fastify/compress';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Smaller bodies are sent as they are (@fastify/compress's default, kept). */
export const COMPRESS_THRESHOLD_BYTES = 1024;

// @fastify/compress's own defaults (brotli quality 4, zlib's default level), so the bytes on
// the wire are the same whichever of the two compressed a body.
const BROTLI_OPTIONS: zlib.BrotliOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } };
const compressors = {
  br: promisify<zlib.InputType, zlib.BrotliOptions, Buffer>(zlib.brotliCompress),
  gzip: promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.gzip),
  deflate: promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.deflate),
};
export type Encoding = keyof typeof compressors;

/** In the server's order of preference, which is @fastify/compress's. */
const PREFERENCE: readonly (Encoding | 'identity')[] = ['br', 'gzip', 'deflate', 'identity'];

/**
 * The encoding for an Accept-Encoding header made of plain tokens ('gzip, deflate, br, zstd',
 * as browsers and curl send it): the most preferred one offered, null for none. undefined when
 * the header has weights or anything else unusual: that request is left to @fastify/compress,
 * whose negotiator then decides exactly as before.
 */
export function plainEncoding(header: string | undefined): Encoding | 'identity' | null | undefined {
  if (header === undefined) return null;
  if (!/^[\w\s,*-]*$/.test(header)) return undefined;
  // @fastify/compress reads '*' and 'x-gzip' as gzip.
  const offered = new Set(header.toLowerCase().split(',').map((token) => token.trim()).map((t) => (t === '*' || t === 'x-gzip' ? 'gzip' : t)));
  // Where the runtime has zstd, @fastify/compress prefers it: its choice, then.
  if (ZSTD_AVAILABLE && offered.has('zstd')) return undefined;
  return PREFERENCE.find((encoding) => offered.has(encoding)) ?? null;
}

const ZSTD_AVAILABLE = typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';

// @fastify/compress's test for compressible types (mime-db aside: JSON, text and CSV are all here).
const COMPRESSIBLE = /^text\/(?!event-stream)|(?:\+|\/)json(?:;|$)|(?:\+|\/)text(?:;|$)|(?:\+|\/)xml(?:;|$)|octet-stream(?:;|$)/u;

export async function compressBody(body: string | Buffer, encoding: Encoding): Promise<Buffer> {
  return encoding === 'br' ? compressors.br(body, BROTLI_OPTIONS) : compressors[encoding](body, {});
}

/** Vary: accept-encoding, added as @fastify/compress adds it. */
export function varyOnEncoding(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  if (vary === undefined) {
    reply.header('vary', 'accept-encoding');
    return;
  }
  const values = (Array.isArray(vary) ? vary : [String(vary)]);
  if (!values.some((v) => v.includes('accept-encoding'))) reply.header('vary', [...values, 'accept-encoding'].join(', '));
}

async function compressInMemory(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload; // streams: @fastify/compress
  if (reply.hasHeader('content-encoding') || request.headers['x-no-compression'] !== undefined) return payload;
  if (Buffer.byteLength(payload) < COMPRESS_THRESHOLD_BYTES) return payload;
  if (!COMPRESSIBLE.test(String(reply.getHeader('content-type') ?? 'application/json'))) return payload;
  const encoding = plainEncoding(request.headers['accept-encoding']);
  if (encoding === undefined || encoding === null || encoding === 'identity') return payload;
  const compressed = await compressBody(payload, encoding);
  varyOnEncoding(reply);
  reply.header('content-encoding', encoding);
  return compressed;
}

export async function registerCompression(app: FastifyInstance): Promise<void> {
  // An instance-level onSend runs before @fastify/compress's route-level one, which passes
  // over a body that already has a Content-Encoding.
  app.addHook('onSend', compressInMemory);
  await app.register(compress, { global: true, threshold: COMPRESS_THRESHOLD_BYTES });
}
