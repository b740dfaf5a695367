import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { createServer } from '../src/server.js';
import { testRuntime } from '../test/helpers/runtime.js';
const runtime = testRuntime();
const server = createServer({ service: runtime.service, logger: runtime.logger });
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(b);
const client = new Client({ name: 't', version: '1' });
await client.connect(a);
const calls = JSON.parse(process.argv[2]!);
let last: any;
for (const [name, args] of calls) {
  for (const [k, v] of Object.entries(args)) if (v === '$run') (args as any)[k] = last.structuredContent.run_id;
  const r: any = await client.callTool({ name, arguments: args });
  last = r;
  const text = r.content[0].text;
  console.log(`=== ${name} text ${encode(text).length} tokens, structured ${encode(JSON.stringify(r.structuredContent ?? {})).length}`);
  console.log(text);
  if (process.env.SHOW_JSON) console.log(JSON.stringify(r.structuredContent).slice(0, Number(process.env.SHOW_JSON)));
}
await client.close(); await runtime.dispose();
