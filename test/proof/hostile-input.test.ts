// Issue 6 proof 2: fast-check fuzzing of every tool's arguments through a real MCP client, plus
// hand-written hostile cases. Every call returns a valid result or an isError result: never a protocol
// error for schema-valid input, never a hang, never a crash.
// Cases per tool: FUZZ_RUNS, else 2,000 when CI=true, else 150.

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareArguments } from '../../src/tools/arguments.js';
import { backlinkGapInput } from '../../src/tools/backlink-gap.js';
import { getBacklinksInput } from '../../src/tools/get-backlinks.js';
import { linkIntersectInput } from '../../src/tools/link-intersect.js';
import { listProspectsInput } from '../../src/tools/list-prospects.js';
import { usageInput } from '../../src/tools/usage.js';
import { COMPETITORS, YOU } from '../helpers/sample-truth.js';
import { type InProcess, inProcess, type StdioSession, stdioSession, tempDir, textOf, writeDataset } from './harness.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.CI === 'true' ? 2000 : 150));
/** A call that takes longer than this is a hang. */
const CALL_TIMEOUT_MS = 15_000;

const HOSTILE_STRINGS = [
  'a'.repeat(10_000),
  `${'a'.repeat(63)}.`.repeat(40),
  'bücher.de',
  'xn--bcher-kva.de',
  'https://bücher.de/straße?x=1',
  'localhost',
  'http://localhost:8080/admin',
  '127.0.0.1',
  '[::1]',
  '::1',
  '10.0.0.1',
  '169.254.169.254',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '../../etc/passwd',
  '..\\..\\windows\\system32',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '\u0000',
  'exa\u0000mple.com',
  'example.com\r\nX-Injected: 1',
  '<script>alert(1)</script>.com',
  "'; DROP TABLE runs; --",
  '__proto__',
  'constructor',
  'prototype',
  '😀.com',
  '\u202eevil.com',
  ' ',
  '.',
  '..',
  '*.com',
  'com',
  'co.uk',
  'a.b.c.d.e.f.g.h.example.co.uk',
];

const domainish = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(YOU, ...COMPETITORS) },
  { weight: 2, arbitrary: fc.domain() },
  { weight: 1, arbitrary: fc.webUrl() },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
const count = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 20_000 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('10', null, true, [], {}) },
);
const providerName = fc.constantFrom<unknown>('local', 'local', 'local', 'all', 'moz', 'dataforseo', 'oneclickseo', 'nope', '', 7);
const flag = fc.oneof({ weight: 5, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom<unknown>('true', 0, null) });
const format = fc.constantFrom<unknown>('concise', 'detailed', 'verbose');
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...HOSTILE_STRINGS));
/** Extra keys a strict schema must refuse. (An own `__proto__` key is dropped by the SDK's request
 *  parsing before validation, so it is proven harmless in the pollution case below instead.) */
const extras = fc.dictionary(fc.constantFrom('extra', 'constructor', 'toString', 'hasOwnProperty'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 1 });

const scopedTarget = fc.oneof(
  domainish,
  fc.record({ target: domainish, scope: fc.constantFrom<unknown>('page', 'subdomain', 'root_domain', 'planet') }, { requiredKeys: ['target'] }),
);

let runId = 'missing';
const DATA = writeDataset(YOU, COMPETITORS);

const ARBITRARIES: Record<string, { schema: z.ZodType; args: fc.Arbitrary<Record<string, unknown>> }> = {
  backlink_gap: {
    schema: backlinkGapInput,
    args: fc
      .tuple(
        fc.record(
          {
            your_domain: domainish,
            competitor_domains: fc.array(domainish, { minLength: 0, maxLength: 22 }),
            limit: count,
            min_competitors: count,
            top: count,
            include_platforms: flag,
            provider: providerName,
            response_format: format,
            fresh: flag,
            dry_run: flag,
          },
          { requiredKeys: [] },
        ),
        fc.option(extras, { freq: 10 }),
      )
      .map(([args, extra]) => ({ ...args, ...extra })),
  },
  list_prospects: {
    schema: listProspectsInput,
    args: fc.record(
      {
        run_id: fc.oneof({ weight: 4, arbitrary: fc.constant(null).map(() => runId) }, { weight: 1, arbitrary: text }),
        min_authority: count,
        max_spam: count,
        dofollow: flag,
        competitor: domainish,
        q: text,
        sort: fc.constantFrom<unknown>('score', 'rank', 'backlinks', 'referring_domains', 'overlap', 'price'),
        order: fc.constantFrom<unknown>('asc', 'desc', 'up'),
        page: count,
        per_page: count,
        include_platforms: flag,
        format: fc.constantFrom<unknown>('table', 'csv', 'xml'),
        response_format: format,
      },
      { requiredKeys: [] },
    ),
  },
  get_backlinks: {
    schema: getBacklinksInput,
    args: fc.record(
      {
        target: domainish,
        mode: fc.constantFrom<unknown>('as_is', 'one_per_domain', 'one_per_anchor', 'all'),
        limit: count,
        dofollow: flag,
        anchor: text,
        min_authority: count,
        cursor: fc.oneof(fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 60 }), fc.constantFrom('eyJvZmZzZXQiOi0xfQ', 'eyJvZmZzZXQiOjFlOTl9')),
        provider: providerName,
        response_format: format,
        fresh: flag,
        dry_run: flag,
      },
      { requiredKeys: [] },
    ),
  },
  link_intersect: {
    schema: linkIntersectInput,
    args: fc.record(
      {
        positive_targets: fc.array(scopedTarget, { minLength: 0, maxLength: 7 }),
        negative_targets: fc.array(scopedTarget, { minLength: 0, maxLength: 6 }),
        min_matching_targets: count,
        source_scope: fc.constantFrom<unknown>('page', 'root_domain', 'subdomain'),
        sort: fc.constantFrom<unknown>('source_domain_authority', 'source_spam_score', 'matching_target_count', 'random'),
        limit: count,
        next_token: fc.oneof(fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 60 })),
        provider: providerName,
        response_format: format,
        fresh: flag,
        dry_run: flag,
      },
      { requiredKeys: [] },
    ),
  },
  usage: { schema: usageInput, args: fc.oneof(fc.constant({}), extras) },
};

/** The invariant every call keeps. */
function checkResult(tool: string, schema: z.ZodType, args: Record<string, unknown>, result: CallToolResult): void {
  expect(Array.isArray(result.content)).toBe(true);
  const message = textOf(result);
  // As the server reads them: a list given as one comma-separated string is split first.
  const valid = schema.safeParse(prepareArguments(schema, args)).success;
  if (!valid) {
    // The SDK refuses schema-invalid input as an isError result naming the problem.
    expect(result.isError, `${tool} accepted invalid input ${JSON.stringify(args).slice(0, 200)}`).toBe(true);
    expect(message).toMatch(/validation|invalid/i);
    return;
  }
  if (result.isError) {
    expect(message.length).toBeGreaterThan(0);
    // A schema-valid input never reaches the catch-all: it is served or refused with a reason.
    expect(message, `${tool} ${JSON.stringify(args).slice(0, 300)}`).not.toMatch(/^internal_error|Input validation error/);
    expect(message).not.toMatch(/\n\s+at /);
  } else {
    expect(result.structuredContent).toBeTypeOf('object');
  }
}

let server: InProcess;

beforeAll(async () => {
  server = await inProcess({ BACKLINK_GAP_DATA: DATA, BACKLINK_GAP_CACHE: 'memory', BACKLINK_GAP_LOG_LEVEL: 'silent' });
  const gap = await server.call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS });
  runId = String((gap.structuredContent as { run_id: string }).run_id);
});

afterAll(async () => {
  await server?.dispose();
});

describe(`fuzzing every tool through a real MCP client (${RUNS} cases a tool)`, () => {
  for (const [tool, { schema, args }] of Object.entries(ARBITRARIES)) {
    it(`${tool}: valid result or isError, never a protocol error, hang or crash`, { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(args, async (input) => {
          const result = await server.call(tool, input, { timeout: CALL_TIMEOUT_MS });
          checkResult(tool, schema, input, result);
        }),
        { numRuns: RUNS },
      );
      expect(({}) as Record<string, unknown>).not.toHaveProperty('polluted');
    });
  }
});

/** Hand-written cases: each is [tool, arguments]. */
const HAND_WRITTEN: Array<[string, Record<string, unknown>]> = [
  ['backlink_gap', { your_domain: 'a'.repeat(10_000), competitor_domains: COMPETITORS }],
  ['backlink_gap', { your_domain: `${'a'.repeat(60)}.com`, competitor_domains: ['b'.repeat(2048)] }],
  ['backlink_gap', { your_domain: 'bücher.de', competitor_domains: ['xn--bcher-kva.de', ...COMPETITORS] }],
  ['backlink_gap', { your_domain: 'localhost', competitor_domains: ['127.0.0.1', '[::1]', '169.254.169.254'] }],
  ['backlink_gap', { your_domain: 'file:///etc/passwd', competitor_domains: ['javascript:alert(1)'] }],
  ['backlink_gap', { your_domain: YOU, competitor_domains: Array.from({ length: 1000 }, (_, i) => `c${i}.com`) }],
  ['get_backlinks', { target: 'a'.repeat(10_000) }],
  ['get_backlinks', { target: 'file:///etc/passwd' }],
  ['get_backlinks', { target: 'javascript:alert(1)' }],
  ['get_backlinks', { target: 'http://127.0.0.1:22/' }],
  ['get_backlinks', { target: 'xn--bcher-kva.de' }],
  ['get_backlinks', { target: COMPETITORS[0], cursor: '../../etc/passwd' }],
  ['list_prospects', { run_id: '../../etc/passwd' }],
  ['list_prospects', { run_id: '..%2f..%2fetc%2fpasswd' }],
  ['list_prospects', { run_id: '/etc/passwd' }],
  ['list_prospects', { run_id: 'C:\\Windows\\win.ini' }],
  ['list_prospects', { run_id: '__proto__' }],
  ['list_prospects', { run_id: 'constructor' }],
  ['link_intersect', { positive_targets: Array.from({ length: 1000 }, (_, i) => `p${i}.com`) }],
  ['link_intersect', { positive_targets: [COMPETITORS[0]], negative_targets: Array.from({ length: 1000 }, (_, i) => `n${i}.com`) }],
  ['link_intersect', { positive_targets: [{ target: 'javascript:alert(1)', scope: 'page' }, { target: 'file:///etc/passwd', scope: 'page' }] }],
  ['link_intersect', { positive_targets: ['bücher.de', 'xn--bcher-kva.de'] }],
];

/** JSON with prototype-pollution keys, parsed the way a transport parses a request body. */
const POLLUTING: Array<[string, string]> = [
  ['backlink_gap', `{"your_domain":"${YOU}","competitor_domains":["${COMPETITORS[0]}"],"__proto__":{"polluted":true}}`],
  ['backlink_gap', `{"your_domain":"${YOU}","competitor_domains":["${COMPETITORS[0]}"],"constructor":{"prototype":{"polluted":true}}}`],
  ['list_prospects', '{"run_id":"RUN","__proto__":{"polluted":true}}'],
  ['link_intersect', `{"positive_targets":[{"target":"${COMPETITORS[0]}","__proto__":{"polluted":true}}]}`],
  ['get_backlinks', `{"target":"${COMPETITORS[0]}","constructor":{"prototype":{"polluted":true}},"__proto__":{"polluted":true}}`],
  ['usage', '{"__proto__":{"polluted":true}}'],
];

describe('hand-written hostile input, in process', () => {
  it.each(HAND_WRITTEN.map(([tool, args]) => [tool, JSON.stringify(args).slice(0, 60), args] as const))(
    '%s %s',
    async (tool, _label, args) => {
      const entry = ARBITRARIES[tool];
      if (!entry) throw new Error(`no schema for ${tool}`);
      const result = await server.call(tool, args, { timeout: CALL_TIMEOUT_MS });
      checkResult(tool, entry.schema, args, result);
    },
  );

  it('prototype-pollution keys pollute nothing and are refused or ignored', async () => {
    for (const [tool, json] of POLLUTING) {
      const args = JSON.parse(json.replace('RUN', runId)) as Record<string, unknown>;
      const result = await server.call(tool, args, { timeout: CALL_TIMEOUT_MS });
      expect(Array.isArray(result.content)).toBe(true);
      expect(({}) as Record<string, unknown>).not.toHaveProperty('polluted');
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    }
    // The server still answers normally afterwards.
    const after = await server.call('list_prospects', { run_id: runId, per_page: 5 });
    expect(after.isError, textOf(after)).toBeFalsy();
  });

  it('path traversal in run_id reads no file', async () => {
    const result = await server.call('list_prospects', { run_id: '../../../../../../etc/passwd' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).not.toMatch(/root:|\/bin\/(ba)?sh/);
    expect(textOf(result)).toMatch(/unknown_run|invalid_input/);
  });
});

describe('a stdin message over the transport limit', () => {
  it('is answered with an error naming the limit and logged, and the server reads on', { timeout: 60_000 }, async () => {
    const { spawn } = await import('node:child_process');
    const { CLI, ROOT } = await import('./harness.js');
    const dir = tempDir('oversize');
    const child = spawn(process.execPath, [CLI, 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: dir, BACKLINK_GAP_CACHE_DIR: dir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const answered = (id: number) => stdout.split('\n').some((line) => line.includes(`"id":${id}`));
    const waitFor = async (id: number) => {
      for (let waited = 0; !answered(id) && child.exitCode === null && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    try {
      const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      await waitFor(1);
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      // As the TypeScript SDK writes it: the id last, after 11 MB of arguments.
      send({ method: 'tools/call', params: { name: 'usage', arguments: { padding: 'p'.repeat(11 * 1024 * 1024) } }, jsonrpc: '2.0', id: 7 });
      send({ jsonrpc: '2.0', id: 8, method: 'tools/list' });
      await waitFor(8);
      const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id?: number; error?: { message: string }; result?: unknown });
      const refused = lines.find((line) => line.id === 7);
      expect(refused?.error?.message).toMatch(/over this server's 10 MB limit/);
      expect(lines.find((line) => line.id === 8)?.result).toBeDefined();
      expect(child.exitCode).toBeNull();
      expect(stderr).toMatch(/over the size limit/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('hostile input over stdio, against the built server', () => {
  let session: StdioSession;
  beforeAll(async () => {
    session = await stdioSession({ BACKLINK_GAP_DATA: DATA, BACKLINK_GAP_CACHE_DIR: tempDir('hostile-stdio') });
  });
  afterAll(async () => {
    await session?.close();
  });

  it('survives the hand-written cases and a fuzzed subset, then still answers', { timeout: 120_000 }, async () => {
    for (const [tool, args] of HAND_WRITTEN) {
      const entry = ARBITRARIES[tool];
      if (!entry) throw new Error(`no schema for ${tool}`);
      checkResult(tool, entry.schema, args, await session.call(tool, args, { timeout: CALL_TIMEOUT_MS }));
    }
    for (const [tool, json] of POLLUTING) {
      const result = await session.call(tool, JSON.parse(json) as Record<string, unknown>, { timeout: CALL_TIMEOUT_MS });
      expect(Array.isArray(result.content)).toBe(true);
    }
    const subset = ['backlink_gap', 'get_backlinks', 'link_intersect'] as const;
    for (const tool of subset) {
      const entry = ARBITRARIES[tool];
      if (!entry) throw new Error(`no schema for ${tool}`);
      await fc.assert(
        fc.asyncProperty(entry.args, async (input) => {
          checkResult(tool, entry.schema, input, await session.call(tool, input, { timeout: CALL_TIMEOUT_MS }));
        }),
        { numRuns: Math.min(RUNS, 100) },
      );
    }
    const usage = await session.call('usage', {});
    expect(usage.isError, textOf(usage)).toBeFalsy();
  });
});
