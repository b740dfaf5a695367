#!/usr/bin/env node
// bin entry: parses arguments, then serves MCP (stdio or HTTP) or runs one command for a person at a terminal.

import { parseArgs } from 'node:util';
import type { ZodType, z } from 'zod';
import type { DryRun } from './domain.js';
import type { Config } from './config.js';
import { loadConfig } from './config.js';
import { describeError } from './errors.js';
import type { Runtime } from './runtime.js';

const HELP: Record<string, string> = {
  main: `backlink-gap-mcp — backlink gap research for AI assistants (MCP) and the terminal

Usage:
  backlink-gap-mcp [serve]                      MCP server over stdio (what MCP clients launch)
  backlink-gap-mcp serve --http [--port 3000] [--host 127.0.0.1] [--stateless]
  backlink-gap-mcp gap YOUR_DOMAIN --competitors a.com,b.com [options]
  backlink-gap-mcp prospects RUN_ID [--min-authority 30 --page 2 ...]
  backlink-gap-mcp backlinks TARGET [--mode one_per_domain]
  backlink-gap-mcp intersect --positive a.com,b.com [--negative you.com] [--min-matching 2]
  backlink-gap-mcp usage
  backlink-gap-mcp check RUN_ID [--domains a.org,b.org] | --urls URL,URL --competitors a.com,b.com [--you me.com]

Every command takes --json (the structured result) and --help.
With no provider key set, the bundled synthetic sample (plumbers in Austin, TX) is used:
  backlink-gap-mcp gap bluebonnetplumbing.com --competitors austinplumbingco.com,capitalcityplumbers.com,lonestarrooter.com
Configuration is by environment variables; see the README.`,
  gap: `backlink-gap-mcp gap YOUR_DOMAIN --competitors a.com,b.com [options]
  --competitors LIST      1-20 competitor domains, comma-separated (required)
  --limit N               prospects the run keeps (1-1000, default 100)
  --min-competitors N     only prospects linking to at least N competitors
  --top N                 rows shown (1-50, default 15)
  --include-platforms     keep social/platform/spam domains in the list
  --route LIST  --exclude-route LIST  --category LIST  --exclude-category LIST
                          comma-separated, e.g. --exclude-route paid_listing
  --provider NAME         local | localseodata | oneclickseo | moz | domdetailer | dataforseo | all
  --detailed              reasons, source pages, per-provider figures
  --fresh                 bypass the cache (pays again)
  --dry-run               estimate the cost only
  --json                  print the structured result`,
  prospects: `backlink-gap-mcp prospects RUN_ID [options]
  --min-authority N  --max-spam N  --dofollow | --nofollow  --competitor DOMAIN  --q TEXT
  --sort score|rank|backlinks|referring_domains|overlap  --order asc|desc
  --route LIST  --exclude-route LIST  --category LIST  --exclude-category LIST (comma-separated)
  --page N  --per-page N (1-100)  --include-platforms  --csv (every matching row as CSV)  --detailed  --json`,
  backlinks: `backlink-gap-mcp backlinks TARGET [options]
  --mode as_is|one_per_domain|one_per_anchor  --limit N (1-1000)  --dofollow | --nofollow
  --anchor TEXT  --min-authority N  --cursor CURSOR  --provider NAME  --detailed  --fresh  --dry-run  --json`,
  intersect: `backlink-gap-mcp intersect --positive a.com,b.com [options]
  --positive LIST         targets sources must link to (domain, or scope:target e.g. page:https://a.com/x)
  --negative LIST         targets sources must not link to (at most 6 targets in all)
  --min-matching N  --source-scope page|root_domain  --sort source_domain_authority|source_spam_score|matching_target_count
  --limit N (1-50)  --next-token TOKEN  --provider NAME  --detailed  --fresh  --dry-run  --json`,
  usage: `backlink-gap-mcp usage [--json]   providers, spend against budget, balances, cache`,
  check: `backlink-gap-mcp check RUN_ID [--domains a.org,b.org]      (default: the run's top 10)
backlink-gap-mcp check --urls URL,URL --competitors a.com,b.com [--you me.com]
  Fetches the linking pages live (free): is each competitor link still there, rel, anchor, contact routes.
  --fresh (ignore the 7-day cache)  --detailed  --json`,
  serve: `backlink-gap-mcp serve [--http] [--port 3000] [--host 127.0.0.1] [--stateless]
  Without --http: MCP over stdio. With --http: Streamable HTTP at /mcp (GET /healthz for load balancers).
  Binding to anything but loopback requires BACKLINK_GAP_HTTP_TOKEN.`,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  json: { type: 'boolean' },
  detailed: { type: 'boolean' },
  fresh: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  competitors: { type: 'string' },
  limit: { type: 'string' },
  'min-competitors': { type: 'string' },
  top: { type: 'string' },
  'include-platforms': { type: 'boolean' },
  'hide-platforms': { type: 'boolean' },
  route: { type: 'string' },
  'exclude-route': { type: 'string' },
  category: { type: 'string' },
  'exclude-category': { type: 'string' },
  provider: { type: 'string' },
  'min-authority': { type: 'string' },
  'max-spam': { type: 'string' },
  dofollow: { type: 'boolean' },
  nofollow: { type: 'boolean' },
  competitor: { type: 'string' },
  q: { type: 'string' },
  sort: { type: 'string' },
  order: { type: 'string' },
  page: { type: 'string' },
  'per-page': { type: 'string' },
  csv: { type: 'boolean' },
  mode: { type: 'string' },
  anchor: { type: 'string' },
  cursor: { type: 'string' },
  positive: { type: 'string' },
  negative: { type: 'string' },
  'min-matching': { type: 'string' },
  'source-scope': { type: 'string' },
  'next-token': { type: 'string' },
  http: { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  stateless: { type: 'boolean' },
  domains: { type: 'string' },
  urls: { type: 'string' },
  you: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

class CliError extends Error {}

function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function integer(values: Values, name: keyof Values): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const number = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(number)) throw new CliError(`--${name} must be a whole number (got ${JSON.stringify(raw)})`);
  return number;
}

function followFlag(values: Values): boolean | undefined {
  if (values.dofollow && values.nofollow) throw new CliError('give --dofollow or --nofollow, not both');
  if (values.dofollow) return true;
  if (values.nofollow) return false;
  return undefined;
}

function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

async function main(argv: string[]): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun backlink-gap-mcp --help for usage.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'serve';
  if (values.version) {
    const { VERSION } = await import('./version.js');
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (values.help) {
    process.stdout.write(`${HELP[command] ?? HELP.main}\n`);
    return 0;
  }
  if (!(command in HELP) || command === 'main') {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP.main}\n`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    return 2;
  }

  if (command === 'serve') {
    if (values.http) {
      const { serveHttp } = await import('./serve-http.js');
      const port = integer(values, 'port') ?? 3000;
      await serveHttp(config, { port, host: values.host ?? '127.0.0.1', stateless: values.stateless === true });
    } else {
      const { serveStdio } = await import('./serve-stdio.js');
      await serveStdio(config);
    }
    return -1; // keep running
  }

  const { createRuntime } = await import('./runtime.js');
  const runtime = createRuntime(config);
  try {
    return await runCommand(command, values, positionals.slice(1), runtime);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\nRun backlink-gap-mcp ${command} --help for usage.\n`);
      return 2;
    }
    const { BacklinkGapError } = await import('./errors.js');
    process.stderr.write(`${describeError(error)}\n`);
    if (!(error instanceof BacklinkGapError) && config.logLevel === 'debug') process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
}

async function runCommand(command: string, values: Values, args: string[], runtime: Runtime): Promise<number> {
  const responseFormat = values.detailed ? 'detailed' : 'concise';
  const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const validate = <S extends ZodType>(schema: S, input: unknown): z.infer<S> => {
    const result = schema.safeParse(input);
    if (!result.success) {
      throw new CliError(
        result.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; '),
      );
    }
    return result.data;
  };
  const { isDryRun } = await import('./domain.js');
  const { renderDryRun } = await import('./tools/result.js');
  const { compact, TOKEN_CAP } = await import('./summary/format.js');
  const printJson = (value: unknown) => out(JSON.stringify(compact(value), null, 2));
  const printDryRun = (dry: DryRun): number => {
    values.json ? printJson(dry) : out(renderDryRun(dry).text);
    return 0;
  };
  // Category and route selection, the same for gap and prospects.
  const selection = {
    route: list(values.route),
    exclude_route: list(values['exclude-route']),
    category: list(values.category),
    exclude_category: list(values['exclude-category']),
  };
  // The flags every paid command shares.
  const paid = { provider: values.provider, response_format: responseFormat, fresh: values.fresh, dry_run: values['dry-run'] };

  switch (command) {
    case 'gap': {
      const { backlinkGapInput, renderGapResult } = await import('./tools/backlink-gap.js');
      if (!args[0]) throw new CliError('give your domain: backlink-gap-mcp gap YOUR_DOMAIN --competitors a.com,b.com');
      const input = validate(
        backlinkGapInput,
        defined({
          your_domain: args[0],
          competitor_domains: list(values.competitors) ?? [],
          limit: integer(values, 'limit'),
          min_competitors: integer(values, 'min-competitors'),
          top: integer(values, 'top'),
          include_platforms: values['include-platforms'],
          ...selection,
          ...paid,
        }),
      );
      const outcome = await runtime.service.gap(input);
      if (isDryRun(outcome)) return printDryRun(outcome);
      if (values.json) {
        printJson(renderGapResult(outcome, input.response_format, TOKEN_CAP).structured);
        return 0;
      }
      const { renderGapTable } = await import('./summary/table.js');
      out(renderGapTable(outcome, input.response_format));
      return 0;
    }
    case 'prospects': {
      const { listProspectsInput, renderProspectsResult } = await import('./tools/list-prospects.js');
      if (!args[0]) throw new CliError('give a run id from `backlink-gap-mcp gap`: backlink-gap-mcp prospects RUN_ID');
      const input = validate(
        listProspectsInput,
        defined({
          run_id: args[0],
          min_authority: integer(values, 'min-authority'),
          max_spam: integer(values, 'max-spam'),
          dofollow: followFlag(values),
          competitor: values.competitor,
          q: values.q,
          sort: values.sort,
          order: values.order,
          page: integer(values, 'page'),
          per_page: integer(values, 'per-page'),
          include_platforms: values['include-platforms'] ? true : values['hide-platforms'] ? false : undefined,
          ...selection,
          format: values.csv ? 'csv' : undefined,
          response_format: responseFormat,
        }),
      );
      const { format, response_format, ...query } = input;
      if (format === 'csv') {
        out((await runtime.service.prospectsCsv(query)).csv);
        return 0;
      }
      const outcome = await runtime.service.prospects(query);
      if (values.json) {
        printJson(renderProspectsResult(outcome, response_format, TOKEN_CAP).structured);
        return 0;
      }
      const { renderProspectsTable } = await import('./summary/table.js');
      out(renderProspectsTable(outcome, response_format));
      return 0;
    }
    case 'backlinks': {
      const { getBacklinksInput, renderBacklinksResult } = await import('./tools/get-backlinks.js');
      if (!args[0]) throw new CliError('give a target: backlink-gap-mcp backlinks example.com');
      const input = validate(
        getBacklinksInput,
        defined({
          target: args[0],
          mode: values.mode,
          limit: integer(values, 'limit'),
          dofollow: followFlag(values),
          anchor: values.anchor,
          min_authority: integer(values, 'min-authority'),
          cursor: values.cursor,
          ...paid,
        }),
      );
      const { response_format, ...query } = input;
      const outcome = await runtime.service.backlinks(query);
      if (isDryRun(outcome)) return printDryRun(outcome);
      const rendered = renderBacklinksResult(outcome, response_format, TOKEN_CAP);
      values.json ? printJson(rendered.structured) : out(rendered.text);
      return 0;
    }
    case 'intersect': {
      const { linkIntersectInput, renderIntersectResult } = await import('./tools/link-intersect.js');
      const scoped = (item: string) => {
        const match = /^(page|subdomain|root_domain):(.+)$/.exec(item);
        return match ? { target: match[2]!, scope: match[1]! } : item;
      };
      const input = validate(
        linkIntersectInput,
        defined({
          positive_targets: list(values.positive)?.map(scoped) ?? [],
          negative_targets: list(values.negative)?.map(scoped),
          min_matching_targets: integer(values, 'min-matching'),
          source_scope: values['source-scope'],
          sort: values.sort,
          limit: integer(values, 'limit'),
          next_token: values['next-token'],
          ...paid,
        }),
      );
      const { response_format, ...query } = input;
      const outcome = await runtime.service.intersect(query);
      if (isDryRun(outcome)) return printDryRun(outcome);
      const rendered = renderIntersectResult(outcome, response_format, TOKEN_CAP);
      values.json ? printJson(rendered.structured) : out(rendered.text);
      return 0;
    }
    case 'check': {
      const { checkProspectsInput } = await import('./tools/check-prospects.js');
      const input = validate(
        checkProspectsInput,
        defined({
          run_id: args[0],
          domains: list(values.domains),
          urls: list(values.urls),
          competitor_domains: list(values.competitors),
          your_domain: values.you,
          fresh: values.fresh,
          response_format: responseFormat,
        }),
      );
      const { response_format, ...query } = input;
      const outcome = await runtime.service.check(query);
      const { renderCheck } = await import('./summary/check.js');
      values.json ? printJson(outcome) : out(renderCheck(outcome, response_format));
      return 0;
    }
    case 'usage': {
      const outcome = await runtime.service.usage();
      if (values.json) {
        printJson(outcome);
        return 0;
      }
      const { renderUsage } = await import('./summary/usage.js');
      out(renderUsage(outcome));
      return 0;
    }
    default:
      throw new CliError(`Unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
