// Parses an AsyncAPI document with the AsyncAPI parser (Avro payloads through its Avro schema
// parser, references to schemas/ resolved from the file's directory); prints every diagnostic
// and exits 1 if any is an error. Usage: node check.mjs docs/asyncapi.json
import { Parser, fromFile } from '@asyncapi/parser';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';

const parser = new Parser();
parser.registerSchemaParser(AvroSchemaParser());
const { document, diagnostics } = await fromFile(parser, process.argv[2]).parse();
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  console.log(`${['error', 'warning', 'info', 'hint'][d.severity]}: ${d.message} (${d.path.join('.')})`);
}
if (errors.length > 0 || !document) {
  console.error(`asyncapi: ${errors.length} error(s)`);
  process.exit(1);
}
const channels = document.channels().all().length;
const messages = document.messages().all().length;
console.log(`asyncapi: valid AsyncAPI ${document.version()}: ${channels} channels, ${messages} messages`);
