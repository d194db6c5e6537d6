// Connectors translate and never touch the database (DESIGN.md): code under connectors/
// may import only connectors/contract.ts, its siblings and npm packages, never server/ or kysely.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

it('connectors import neither the server nor the database layer', () => {
  const offending: string[] = [];
  for (const file of files(new URL('.', import.meta.url).pathname)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/from\s+'([^']+)'/g)) {
      const target = match[1]!;
      if (target.includes('/server/') || target.startsWith('../server') || target === 'kysely' || target === 'pg' || target.startsWith('@electric-sql/')) {
        offending.push(`${file}: ${target}`);
      }
    }
  }
  expect(offending).toEqual([]);
});
