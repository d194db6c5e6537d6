// The benchmark's client of the service's HTTP API: generated batches go in through the push
// API as NDJSON files (POST /api/v1/import, each line a record with its `kind`), one batch of
// at most 10,000 records per request, one ingest transaction each, as ingestRecords had them
// in-process; compute jobs are started and followed through /api/v1/jobs.
//
// node:http rather than fetch: fetch gives up on a response after 300 s (undici's headers
// timeout), and on PGlite a request waits for the whole of a running compute.
import http from 'node:http';
import type { NormalizedRecord } from '../connectors/contract.js';
import type { IngestCounts } from '../server/ingest/ingest.js';
import { MAX_BATCH } from '../server/http/routes/v1/ingest.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export interface JsonResponse {
  status: number;
  body: unknown;
}

export function requestJson(url: string, options: { method?: string; body?: string; contentType?: string } = {}): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      agent,
      method: options.method ?? 'GET',
      headers: options.body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(options.body) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null });
        } catch {
          resolve({ status: response.statusCode ?? 0, body: text });
        }
      });
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

/** One NDJSON line per record: the record's own fields (timestamps are ISO strings already) and its kind. */
export function toNdjson(batch: readonly NormalizedRecord[]): string {
  if (batch.length > MAX_BATCH) throw new Error(`a batch of ${batch.length} records: the push API takes at most ${MAX_BATCH} per request`);
  let text = '';
  for (const { kind, record } of batch) text += `${JSON.stringify({ kind, ...record })}\n`;
  return text;
}

/** Posts one NDJSON body (toNdjson) to the service; a rejected batch fails the run with the service's report. */
export async function pushNdjson(serviceUrl: string, ndjson: string): Promise<IngestCounts> {
  const response = await requestJson(`${serviceUrl}/api/v1/import`, { method: 'POST', body: ndjson, contentType: 'application/x-ndjson' });
  if (response.status !== 200) throw new Error(`POST /api/v1/import answered ${response.status}: ${JSON.stringify(response.body).slice(0, 2000)}`);
  return response.body as IngestCounts;
}
