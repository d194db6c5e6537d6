// The record shapes as standalone JSON Schema documents (published in docs/schemas/).
import { recordSchemas, type RecordKind } from './contract.js';

export function recordSchemaDocument(kind: RecordKind): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://bellwether.dev/schemas/${kind}.schema.json`,
    ...JSON.parse(JSON.stringify(recordSchemas[kind])),
  };
}

export const recordSchemaFile = (kind: RecordKind) => `docs/schemas/${kind}.schema.json`;
