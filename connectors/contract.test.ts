// The published JSON Schemas in docs/schemas/ must be the ones the API validates with.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { RECORD_KINDS } from './contract.js';
import { recordSchemaDocument, recordSchemaFile } from './record-schemas.js';

it.each(RECORD_KINDS)('docs/schemas/%s.schema.json is up to date (npm run docs:schemas)', (kind) => {
  expect(JSON.parse(readFileSync(recordSchemaFile(kind), 'utf8'))).toEqual(recordSchemaDocument(kind));
});
