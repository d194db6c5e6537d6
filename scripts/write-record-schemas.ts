// Regenerates docs/schemas/*.schema.json from connectors/contract.ts (npm run docs:schemas).
import { writeFileSync } from 'node:fs';
import { RECORD_KINDS } from '../connectors/contract.js';
import { recordSchemaDocument, recordSchemaFile } from '../connectors/record-schemas.js';

for (const kind of RECORD_KINDS) {
  writeFileSync(recordSchemaFile(kind), `${JSON.stringify(recordSchemaDocument(kind), null, 2)}\n`);
  console.log(`wrote ${recordSchemaFile(kind)}`);
}
