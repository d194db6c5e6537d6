// A cache for read endpoints whose answer is a pure function of the stored data, the request
// and a few values derived from the clock (issue #7: a 52-week series or a 500-row explain
// list costs tens of milliseconds to read, build, serialize and compress, every time the same).
//
// Two levels, both exact, neither timed:
//  - data: what a request read from the database, per key and data version (data-version.ts).
//    Any committed write is a new version and so a miss: a cached read is never older than a
//    fresh one would be;
//  - bodies: the serialized and compressed response built from that data, per `nowKey`, a
//    string the route derives from everything the clock changes in the answer (which periods
//    are partial, the targets in force now, a partial period's elapsed hours). Same data, same
//    request, same nowKey: the same bytes. Where the route can say what its data holds (a
//    content key, cheap next to building), a body outlives the data version it was built
//    from: a write that left this data as it was (most writes, for most keys) costs one read.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DataVersion } from './data-version.js';
import { COMPRESS_THRESHOLD_BYTES, compressBody, plainEncoding, varyOnEncoding, type Encoding } from './plugins/compress.js';

interface Body {
  /** The JSON text, UTF-8. */
  json: Buffer;
  encoded: Partial<Record<Encoding, Buffer>>;
  /** The content key it was built from (content-keyed bodies only), compared in full on use. */
  content?: string;
  /** json + encoded */
  bytes: number;
  /** Dropped from the cache (still sent to the requests holding it). */
  evicted?: boolean;
}

export interface CacheEntry<T> {
  readonly snapshot: string;
  readonly data: Promise<T>;
  /** Bodies built from this entry's data, by nowKey (routes without a content key). */
  readonly bodies: Map<string, Body>;
  /** The content key of `data` and its digest, once asked for. */
  content?: { text: string; digest: string };
  bytes: number;
}

export interface SendOptions<T> {
  key: string;
  entry: CacheEntry<T>;
  data: T;
  nowKey: string;
  build: () => unknown;
  /** The route's response serializer (jsonSerializer), so the bytes are those fastify would send. */
  serialize: (payload: unknown) => string;
  /** Everything `build` reads from `data`, as a string: equal strings, equal answers. */
  content?: (data: T) => string;
}

/** Default budget for each of the two levels. */
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
/** Bodies kept per data entry: mostly one; an open period's changing nowKey would otherwise pile up. */
const BODIES_PER_ENTRY = 4;

/** The route's compiled serializer for its 200 response (per content type when the schema has several). */
export function jsonSerializer(reply: FastifyReply, contentType?: string): (payload: unknown) => string {
  const serialize = reply.getSerializationFunction('200', contentType);
  if (!serialize) throw new Error(`no 200 response schema${contentType ? ` for ${contentType}` : ''} on ${reply.request.routeOptions.url}`);
  return serialize as (payload: unknown) => string;
}

export class ResponseCache {
  private readonly entries = new Map<string, CacheEntry<unknown>>();
  private readonly contentBodies = new Map<string, Body>();
  private latest: DataVersion | null = null;
  private entryBytes = 0;
  private contentBytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  /**
   * The data for `key` at `version`, loaded once per version: concurrent requests share one
   * load, and a failed load is forgotten so that the next request tries again.
   */
  data<T>(key: string, version: DataVersion, load: () => Promise<T>): CacheEntry<T> {
    if (!this.latest || version.sequence > this.latest.sequence) {
      // Nothing read under an older snapshot can be served again once a newer one differs.
      if (this.latest && version.snapshot !== this.latest.snapshot) {
        this.entries.clear();
        this.entryBytes = 0;
      }
      this.latest = version;
    }
    const found = this.entries.get(key) as CacheEntry<T> | undefined;
    if (found?.snapshot === version.snapshot) {
      touch(this.entries, key, found);
      return found;
    }
    const entry: CacheEntry<T> = { snapshot: version.snapshot, data: load(), bodies: new Map(), bytes: 0 };
    // A request that read its version before the latest one was read gets its own answer,
    // uncached: it may not displace data of the newer snapshot.
    if (version.snapshot !== this.latest.snapshot) return entry;
    this.entries.set(key, entry);
    entry.data.catch(() => {
      if (this.entries.get(key) === entry) this.forgetEntry(key, entry);
    });
    return entry;
  }

  /** Sends the JSON body for `nowKey`, built and serialized once, compressed once per encoding the requests accept. */
  async send<T>(request: FastifyRequest, reply: FastifyReply, options: SendOptions<T>): Promise<FastifyReply> {
    const body = this.body(options);
    reply.type('application/json; charset=utf-8');
    const encoding = plainEncoding(request.headers['accept-encoding']);
    // As compress.ts: small bodies go out as they are, unusual Accept-Encoding headers are left
    // to @fastify/compress.
    if (encoding === undefined || encoding === null || encoding === 'identity' || body.json.length < COMPRESS_THRESHOLD_BYTES || request.headers['x-no-compression'] !== undefined) {
      return reply.send(body.json);
    }
    let encoded = body.encoded[encoding];
    if (!encoded) {
      encoded = await compressBody(body.json, encoding);
      body.encoded[encoding] = encoded;
      body.bytes += encoded.length;
      if (body.content !== undefined) {
        if (!body.evicted) this.contentBytes += encoded.length;
      } else {
        this.growEntry(options.key, options.entry, encoded.length);
      }
    }
    varyOnEncoding(reply);
    reply.header('content-encoding', encoding);
    return reply.send(encoded);
  }

  private body<T>(options: SendOptions<T>): Body {
    const { key, entry, data, nowKey } = options;
    const make = (content?: string): Body => {
      const json = Buffer.from(options.serialize(options.build()));
      return { json, encoded: {}, ...(content === undefined ? {} : { content }), bytes: json.length };
    };
    if (options.content) {
      if (!entry.content) {
        entry.content = contentKey(options.content(data));
        // The data and its content key: about twice the key's length.
        this.growEntry(key, entry, 2 * entry.content.text.length);
      }
      const id = `${key}\u0000${entry.content.digest}\u0000${nowKey}`;
      const found = this.contentBodies.get(id);
      if (found?.content === entry.content.text) {
        touch(this.contentBodies, id, found);
        return found;
      }
      const body = make(entry.content.text);
      this.contentBodies.set(id, body);
      this.contentBytes += body.bytes + body.content!.length;
      this.evict(this.contentBodies, () => this.contentBytes > this.maxBytes, (old) => {
        old.evicted = true;
        this.contentBytes -= old.bytes + old.content!.length;
      }, body);
      return body;
    }
    const found = entry.bodies.get(nowKey);
    if (found) return found;
    const body = make();
    if (entry.bodies.size >= BODIES_PER_ENTRY) {
      const [oldestKey, oldest] = entry.bodies.entries().next().value!;
      entry.bodies.delete(oldestKey);
      this.growEntry(key, entry, -(oldest.bytes + oldest.json.length));
    }
    entry.bodies.set(nowKey, body);
    // The data behind a body takes about as much memory again as its JSON.
    this.growEntry(key, entry, body.bytes + body.json.length);
    return body;
  }

  private growEntry(key: string, entry: CacheEntry<unknown>, bytes: number): void {
    entry.bytes += bytes;
    if (this.entries.get(key) !== entry) return; // not (or no longer) cached: not counted
    this.entryBytes += bytes;
    this.evict(this.entries, () => this.entryBytes > this.maxBytes, (old) => (this.entryBytes -= old.bytes), entry);
  }

  private forgetEntry(key: string, entry: CacheEntry<unknown>): void {
    this.entries.delete(key);
    this.entryBytes -= entry.bytes;
  }

  /** Drops the least recently used items while `over()`; `keep`, the one being served, stays even alone over budget. */
  private evict<V>(map: Map<string, V>, over: () => boolean, drop: (value: V) => void, keep: V): void {
    for (const [key, value] of map) {
      if (!over()) break;
      if (value === keep) continue;
      map.delete(key);
      drop(value);
    }
  }
}

/** Moves `key` to the most recently used end. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}

/** A content key and a short digest to look it up by (the key itself is compared on use). */
function contentKey(text: string): { text: string; digest: string } {
  return { text, digest: createHash('sha256').update(text).digest('base64url') };
}
