#!/usr/bin/env node
// bin entry: parses arguments, then serves MCP (stdio or HTTP) or runs one command for a person at a terminal.

import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ZodType, z } from 'zod';
import type { DryRun } from './domain.js';
import type { Config } from './config.js';
import { loadConfig } from './config.js';
import { describeError } from './errors.js';
import type { Runtime } from './runtime.js';

/** One line per command, for --help and `help`. */
const COMMANDS: Array<[string, string]> = [
  ['serve', 'MCP server over stdio (the default: what MCP clients launch); --http for Streamable HTTP'],
  ['gap', 'who links to your competitors but not to you, ranked and kept as a run'],
  ['prospects', "filter, sort, page or export a gap run's prospects (free)"],
  ['backlinks', 'the links pointing to a domain, subdomain or page'],
  ['intersect', 'sources linking to several targets and to none of others'],
  ['usage', 'providers, spend against budget, balances and cache'],
  ['check', 'fetch linking pages live (free): is each competitor link still there, and how to reach the site'],
  ['webgraph', 'webgraph fetch (download) or webgraph import DIR: a Common Crawl web graph release, for provider commoncrawl (free)'],
  ['help', 'this list; help COMMAND shows one command\'s options'],
];

/** Help texts; BIN stands for the command the user actually typed (see invocation()). */
const HELP: Record<string, string> = {
  main: `backlink-gap-mcp: backlink gap research for AI assistants (MCP) and the terminal

Usage: BIN COMMAND [options]      (no command: serve over stdio)

Commands:
${COMMANDS.map(([name, line]) => `  ${name.padEnd(10)}  ${line}`).join('\n')}

Every command takes --json (the structured result) and --help. BIN --version prints the version.
Paid commands (gap, backlinks, intersect) take --dry-run (estimate only) and --confirm: above
BACKLINK_GAP_CONFIRM_ABOVE a call without --confirm prints its quote on stderr, exits 3, spends nothing.
With no provider key set, the bundled synthetic sample (plumbers in Austin, TX) is used:
  BIN gap bluebonnetplumbing.com --competitors austinplumbingco.com,capitalcityplumbers.com,lonestarrooter.com
Configuration is by environment variables; see the README.`,
  gap: `BIN gap YOUR_DOMAIN --competitors a.com,b.com [options]
  --competitors LIST      1-20 competitor domains, comma-separated (required)
  --limit N               prospects the run keeps (1-1000, default 100)
  --min-competitors N     only prospects linking to at least N competitors
  --top N                 rows shown (1-50, default 15)
  --include-platforms     keep social/platform/spam domains in the list
  --route LIST  --exclude-route LIST  --category LIST  --exclude-category LIST
                          comma-separated, e.g. --exclude-route paid_listing
  --provider NAME         local | localseodata | oneclickseo | moz | domdetailer | dataforseo | commoncrawl | all
  --detailed              reasons, source pages, per-provider figures
  --fresh                 bypass the cache (pays again)
  --dry-run               estimate the cost only
  --confirm               accept a cost above BACKLINK_GAP_CONFIRM_ABOVE (without it: the quote, exit 3)
  --html FILE             also write the run as a standalone interactive report (opens offline)
  --json                  print the structured result`,
  prospects: `BIN prospects RUN_ID [options]
  --min-authority N  --max-spam N  --dofollow | --nofollow  --competitor DOMAIN  --q TEXT
  --sort score|rank|backlinks|referring_domains|overlap  --order asc|desc
  --route LIST  --exclude-route LIST  --category LIST  --exclude-category LIST (comma-separated)
  --page N  --per-page N (1-100)  --include-platforms  --csv (every matching row as CSV)  --detailed  --json
  --html FILE  write the whole run as a standalone interactive report (matrix, filters, CSV export)`,
  backlinks: `BIN backlinks TARGET [options]
  --mode as_is|one_per_domain|one_per_anchor  --limit N (1-1000)  --dofollow | --nofollow
  --anchor TEXT  --min-authority N  --cursor CURSOR  --provider NAME  --detailed  --fresh  --dry-run  --confirm  --json`,
  intersect: `BIN intersect --positive a.com,b.com [options]
  --positive LIST         targets sources must link to (domain, or scope:target e.g. page:https://a.com/x)
  --negative LIST         targets sources must not link to (at most 6 targets in all)
  --min-matching N  --source-scope page|root_domain  --sort source_domain_authority|source_spam_score|matching_target_count
  --limit N (1-50)  --next-token TOKEN  --provider NAME  --detailed  --fresh  --dry-run  --confirm  --json`,
  usage: `BIN usage [--json]   providers, spend against budget, balances, cache`,
  check: `BIN check RUN_ID [--domains a.org,b.org]      (default: the run's top 10)
BIN check --urls URL,URL --competitors a.com,b.com [--you me.com]
  Fetches the linking pages live (free): is each competitor link still there, rel, anchor, contact routes.
  --fresh (ignore the 7-day cache)  --detailed  --json`,
  webgraph: `BIN webgraph fetch [--release NAME] [--level domain|host] [--json]
  Downloads a release's vertices, edges and ranks files from Common Crawl (default: the newest fully
  published one in https://index.commoncrawl.org/graphinfo.json) into the cache directory, with a
  progress bar on stderr and a size check; Ctrl-C keeps the partial file and the same command resumes
  it. Then imports it as below. Domain level: several GB to download, mostly the edges file.
BIN webgraph import DIR [--level domain|host] [--release NAME] [--json]
  Converts a Common Crawl hyperlink graph release already downloaded into DIR (its
  <release>-<level>-vertices.txt.gz, -edges.txt.gz and -ranks.txt.gz, as Common Crawl publishes them
  under https://data.commoncrawl.org/projects/hyperlinkgraph/<release>/<level>/) into Parquet in the
  cache directory, once; progress on stderr, Ctrl-C cancels. Then use --provider commoncrawl.`,
  serve: `BIN serve [--http] [--port 3000] [--host 127.0.0.1] [--stateless]
  Without --http: MCP over stdio. With --http: Streamable HTTP at /mcp (GET /healthz for load balancers).
  Binding to anything but loopback requires BACKLINK_GAP_HTTP_TOKEN.`,
};

/** The command as the user would type it again: `npx backlink-gap-mcp` once installed from npm,
 *  `backlink-gap-mcp` when installed globally, `node dist/cli.js` in a clone. `cwd` null: the user
 *  types it somewhere else (a server's hints are read in an MCP client), so a clone's path is absolute. */
function invocation(script: string | undefined = process.argv[1], cwd: string | null = process.cwd()): string {
  if (script === undefined) return 'backlink-gap-mcp';
  const path = script.replaceAll('\\', '/');
  // npm i -g puts the package under <prefix>/lib/node_modules and the command on PATH; npx and a
  // local install run it from a node_modules folder (its .bin link, or the file itself).
  if (path.includes('/lib/node_modules/')) return 'backlink-gap-mcp';
  if (path.includes('/node_modules/')) return 'npx backlink-gap-mcp';
  if (!path.endsWith('.js')) return 'backlink-gap-mcp';
  if (cwd === null) return `node ${resolve(script)}`;
  const shown = relative(cwd, script);
  return `node ${shown.startsWith('..') || isAbsolute(shown) ? script : shown}`;
}

function helpText(name: string): string {
  return (HELP[name] ?? HELP.main ?? '').replaceAll('BIN', invocation());
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  json: { type: 'boolean' },
  detailed: { type: 'boolean' },
  fresh: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  confirm: { type: 'boolean' },
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
  html: { type: 'string' },
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
  level: { type: 'string' },
  release: { type: 'string' },
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

/** --port: a whole number from 0 (any free port) to 65535; 3000 when not given. */
function portOf(raw: string | undefined): number {
  if (raw === undefined) return 3000;
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port)) throw new CliError(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(raw)})`);
  if (port < 0 || port > 65535) throw new CliError(`--port ${raw} is out of range: a port is 0 to 65535 (0 picks a free one)`);
  return port;
}

/** What a person can do about a failure to listen, or undefined when it is not theirs to fix. */
function listenProblem(error: unknown, port: string, host: string): string | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  if (code === 'EADDRINUSE') return `--port ${port} is already in use on ${host}: stop what is listening there, or pick another port with --port.`;
  if (code === 'EACCES') return `--port ${port} on ${host} needs privileges this user does not have (ports below 1024 usually do): pick a port from 1024 up.`;
  if (code === 'EADDRNOTAVAIL') return `--host ${host} is not an address of this machine: use 127.0.0.1, or one of its own addresses.`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `--host ${host} does not resolve to an address: use 127.0.0.1, or an IP address.`;
  return undefined;
}

function followFlag(values: Values): boolean | undefined {
  if (values.dofollow && values.nofollow) throw new CliError('give --dofollow or --nofollow, not both');
  if (values.dofollow) return true;
  if (values.nofollow) return false;
  return undefined;
}

/** An argument as a POSIX shell reads it back (quoted when it holds anything but plain characters). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

async function main(argv: string[]): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun ${invocation()} --help for usage.\n`);
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
    process.stdout.write(`${helpText(positionals[0] ?? 'main')}\n`);
    return 0;
  }
  if (command === 'help') {
    const topic = positionals[1];
    if (topic !== undefined && !(topic in HELP && topic !== 'main')) {
      process.stderr.write(`No help for "${topic}": it is not a command.\n\n${helpText('main')}\n`);
      return 2;
    }
    process.stdout.write(`${helpText(topic ?? 'main')}\n`);
    return 0;
  }
  if (!(command in HELP) || command === 'main') {
    process.stderr.write(`Unknown command "${command}".\n\n${helpText('main')}\n`);
    return 2;
  }

  let config: Config;
  try {
    // Hints name the command this user has; a server's are read away from this terminal.
    config = loadConfig(process.env, { command: invocation(process.argv[1], command === 'serve' ? null : process.cwd()) });
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    return 2;
  }

  if (command === 'webgraph') {
    const { runWebgraphCommand } = await import('./webgraph-command.js');
    const cancel = new AbortController();
    const interrupt = () => cancel.abort(new Error('cancelled'));
    process.once('SIGINT', interrupt);
    try {
      return await runWebgraphCommand(
        positionals.slice(1),
        { bin: invocation(), ...defined({ level: values.level, release: values.release, json: values.json }) },
        config,
        { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text), signal: cancel.signal },
      );
    } finally {
      process.off('SIGINT', interrupt);
    }
  }

  if (command === 'serve') {
    if (values.http) {
      const { serveHttp } = await import('./serve-http.js');
      const host = values.host ?? '127.0.0.1';
      let port: number;
      try {
        port = portOf(values.port);
        await serveHttp(config, { port, host, stateless: values.stateless === true });
      } catch (error) {
        const problem = error instanceof CliError ? error.message : listenProblem(error, values.port ?? '3000', host);
        if (problem === undefined) throw error;
        process.stderr.write(`${problem}\nRun ${invocation()} serve --help for usage.\n`);
        return 2;
      }
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
      process.stderr.write(`${error.message}\nRun ${invocation()} ${command} --help for usage.\n`);
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

/** `--html FILE`: the run as the gap view with its prospects embedded, readable offline. */
async function writeReport(service: Runtime['service'], runId: string, file: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  const { standaloneReport, viewRunOf } = await import('./app/resource.js');
  const run = await service.run(runId);
  await writeFile(file, await standaloneReport(viewRunOf(run)));
  process.stderr.write(`Wrote ${file}: the ${run.prospects.length} prospects of run ${run.run_id}; open it in a browser (no network needed).\n`);
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
  const { quoteLines, thresholdText } = await import('./tools/confirm.js');
  const printDryRun = (dry: DryRun): number => {
    if (dry.confirmation === 'required') {
      // Held for confirmation: the quote and how to approve it go to stderr, and the exit code says
      // nothing was done, so a script does not take the quote for an answer.
      if (values.json) printJson(dry);
      const again = [invocation(), ...process.argv.slice(2).map(shellWord), '--confirm'].join(' ');
      process.stderr.write(
        `Not called: the cost is above BACKLINK_GAP_CONFIRM_ABOVE (${thresholdText(dry)} per call), and nothing was sent upstream.\n` +
          `${quoteLines(dry).join('\n')}\nTo spend it, repeat with --confirm:\n  ${again}\n`,
      );
      return 3;
    }
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
  const paid = { provider: values.provider, response_format: responseFormat, fresh: values.fresh, dry_run: values['dry-run'], confirm: values.confirm };

  switch (command) {
    case 'gap': {
      const { backlinkGapInput, renderGapResult } = await import('./tools/backlink-gap.js');
      if (!args[0]) throw new CliError(`give your domain: ${invocation()} gap YOUR_DOMAIN --competitors a.com,b.com`);
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
      if (values.html) await writeReport(runtime.service, outcome.run_id, values.html);
      if (values.json) {
        printJson(renderGapResult(outcome, input.response_format, TOKEN_CAP).structured);
        return 0;
      }
      const { renderGapTable } = await import('./summary/table.js');
      out(renderGapTable(outcome, input.response_format, invocation()));
      return 0;
    }
    case 'prospects': {
      const { listProspectsInput, renderProspectsResult } = await import('./tools/list-prospects.js');
      if (!args[0]) throw new CliError(`give a run id from \`${invocation()} gap\`: ${invocation()} prospects RUN_ID`);
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
      if (values.html) {
        await writeReport(runtime.service, query.run_id, values.html);
        return 0;
      }
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
      if (!args[0]) throw new CliError(`give a target: ${invocation()} backlinks example.com`);
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
