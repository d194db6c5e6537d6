// Test helper: a local server replaying an @octokit/fixtures scenario (recorded GitHub
// answers: statuses, headers, bodies), with https://api.github.com rewritten to itself so
// that Link and Location headers lead back to it. A request carrying the recorded ETag in
// If-None-Match gets 304, as GitHub answers a conditional request for an unchanged resource.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

export interface FixtureEntry {
  method: string;
  path: string;
  status: number;
  response: unknown;
  headers: Record<string, string | number>;
}

export interface Replay {
  url: string;
  received: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

export function fixtureScenario(name: string): FixtureEntry[] {
  const file = createRequire(import.meta.url).resolve(`@octokit/fixtures/scenarios/api.github.com/${name}/normalized-fixture.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as FixtureEntry[];
}

/** Serves `entries` by path and query; `asGet` answers a GET with an entry recorded for another method. */
export async function replay(entries: FixtureEntry[], options: { asGet?: boolean } = {}): Promise<Replay> {
  const received: Replay['received'] = [];
  let base = '';
  const server = createServer((request, response) => {
    const entry = entries.find((e) => e.path === request.url && (options.asGet || e.method.toUpperCase() === request.method));
    if (!entry) {
      received.push({ method: request.method ?? '', path: request.url ?? '', status: 404 });
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Not Found (no such recording)' }));
      return;
    }
    const rewrite = (text: string) => text.replaceAll('https://api.github.com', base);
    const headers = Object.fromEntries(
      Object.entries(entry.headers).filter(([name]) => !['content-length', 'connection'].includes(name)).map(([name, value]) => [name, rewrite(String(value))]),
    );
    const notModified = entry.headers.etag !== undefined && request.headers['if-none-match'] === String(entry.headers.etag);
    const status = notModified ? 304 : entry.status;
    received.push({ method: request.method ?? '', path: request.url ?? '', status });
    response.writeHead(status, headers);
    response.end(notModified ? '' : rewrite(typeof entry.response === 'string' ? entry.response : JSON.stringify(entry.response)));
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  base = `http://127.0.0.1:${port}`;
  return { url: base, received, close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))) };
}
