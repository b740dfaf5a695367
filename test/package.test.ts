// The npm package and its MCP Registry entry: server.json validates against the registry's server
// schema, kept in docs/registry/ (its source in docs/registry/README.md), and the typed restatement
// below; it names this package and version, the MCPB bundle's release asset, and matches
// package.json's mcpName; the package needs no install step beyond unpacking (dist/ is a bundle).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROOT } from './proof/harness.js';

const SCHEMA_URL = 'https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json';
/** The schema rejects ranges and "latest": a version is one exact release. */
const exactVersion = z
  .string()
  .min(1)
  .max(255)
  .refine((value) => value !== 'latest' && !/[\^~><=*|\s]|\.x\b/.test(value), 'must be one exact version');
const keyValueInput = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
  format: z.enum(['string', 'number', 'boolean', 'filepath']).optional(),
  value: z.string().optional(),
  default: z.string().optional(),
  placeholder: z.string().optional(),
  choices: z.array(z.string()).optional(),
});
const serverSchema = z.object({
  $schema: z.literal(SCHEMA_URL),
  name: z
    .string()
    .min(3)
    .max(200)
    .regex(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/),
  description: z.string().min(1).max(100),
  version: exactVersion,
  repository: z.object({ url: z.url(), source: z.string() }).optional(),
  websiteUrl: z.url().optional(),
  packages: z
    .array(
      z.strictObject({
        registryType: z.string(),
        registryBaseUrl: z.url().optional(),
        identifier: z.string(),
        version: exactVersion,
        fileSha256: z
          .string()
          .regex(/^[a-f0-9]{64}$/)
          .optional(),
        runtimeHint: z.string().optional(),
        transport: z.object({ type: z.literal('stdio') }),
        runtimeArguments: z.array(z.unknown()).optional(),
        packageArguments: z.array(z.unknown()).optional(),
        environmentVariables: z.array(keyValueInput).optional(),
      }),
    )
    .min(1),
});

const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>;

describe('MCP Registry entry', () => {
  it('server.json validates against the registry schema kept in docs/registry/', () => {
    const schema = read('docs/registry/server.schema.json');
    expect(schema.$id).toBe(SCHEMA_URL);
    // strict: false because the schema carries `example`, an annotation Ajv does not know.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const server = read('server.json');
    expect(validate(server), ajv.errorsText(validate.errors)).toBe(true);
    expect(server.$schema).toBe(SCHEMA_URL);
    // The check is real: a range as version and an unknown package field are refused.
    const broken = structuredClone(server) as { packages: Record<string, unknown>[] };
    broken.packages[0]!.version = 'latest';
    broken.packages[0]!.extra = true;
    expect(validate(broken)).toBe(false);
  });

  it('lists the MCPB bundle as this version\'s GitHub release asset with its SHA-256', () => {
    const server = serverSchema.parse(read('server.json'));
    const pkg = read('package.json') as { name: string; version: string };
    const mcpb = server.packages.find((entry) => entry.registryType === 'mcpb');
    expect(mcpb?.identifier).toBe(`https://github.com/backlink-gap/backlink-gap-mcp/releases/download/v${pkg.version}/${pkg.name}-${pkg.version}.mcpb`);
    expect(mcpb?.version).toBe(pkg.version);
    // The registry requires the hash for MCPB; `node scripts/bundle.mjs --release` writes it.
    expect(mcpb?.fileSha256).toMatch(/^[a-f0-9]{64}$/);
  });

  it('server.json follows the server schema and names this npm package, version and mcpName', () => {
    const server = serverSchema.parse(read('server.json'));
    const pkg = read('package.json') as { name: string; version: string; mcpName: string };
    expect(server.name).toBe(pkg.mcpName);
    expect(server.name).toMatch(/^io\.github\.[^/]+\/backlink-gap-mcp$/);
    expect(server.version).toBe(pkg.version);
    const npm = server.packages.find((entry) => entry.registryType === 'npm');
    expect(npm?.identifier).toBe(pkg.name);
    expect(npm?.version).toBe(pkg.version);
  });

  it('every variable it offers is one the server reads, and keys are marked secret', () => {
    const server = serverSchema.parse(read('server.json'));
    const config = readFileSync(join(ROOT, 'src', 'config.ts'), 'utf8');
    for (const variable of server.packages.flatMap((entry) => entry.environmentVariables ?? [])) {
      expect(config, variable.name).toContain(`${variable.name}:`);
      if (/KEY|TOKEN|PASSWORD/.test(variable.name)) expect(variable.isSecret, variable.name).toBe(true);
      expect(variable.isRequired ?? false, `${variable.name}: the server works with no key`).toBe(false);
    }
  });
});

describe('npm package', () => {
  it('installs with nothing to build: one runtime dependency (DuckDB), dist built by prepack, a bin', () => {
    const pkg = read('package.json') as { dependencies?: Record<string, string>; scripts: Record<string, string>; bin: Record<string, string>; files: string[] };
    // dist/ is one esbuild bundle (scripts/build.mjs bundles every package) except DuckDB, whose
    // native binary cannot be bundled: it installs with the tarball (prebuilt, no install script).
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['@duckdb/node-api']);
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
    expect(pkg.bin['backlink-gap-mcp']).toBe('dist/cli.js');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'data/sample']));
  });
});
