// `backlink-gap-mcp webgraph SUBCOMMAND`: Common Crawl web graph releases on this machine. One function
// per subcommand; cli.ts only dispatches here. Progress goes to stderr (stdout belongs to the protocol
// and to --json).

import type { Config } from './config.js';
import { describeError } from './errors.js';

export interface WebgraphCommandOptions {
  level?: string;
  release?: string;
  json?: boolean;
  /** The command as the user typed it, for messages. */
  bin: string;
}

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** Cancels the running subcommand (Ctrl-C). */
  signal?: AbortSignal;
}

const SUBCOMMANDS: Record<string, (args: string[], options: WebgraphCommandOptions, config: Config, io: CommandIo) => Promise<number>> = {
  import: importCommand,
  fetch: async (args, options, config, io) => (await import('./commands/webgraph-fetch.js')).fetchSubcommand(args, options, config, io),
};

/** Runs `webgraph SUBCOMMAND ARGS`; the exit code (2 for a usage mistake). */
export async function runWebgraphCommand(args: string[], options: WebgraphCommandOptions, config: Config, io: CommandIo): Promise<number> {
  const [name, ...rest] = args;
  const subcommand = name === undefined ? undefined : SUBCOMMANDS[name];
  if (subcommand === undefined) {
    io.err(`${name === undefined ? 'Give a subcommand' : `Unknown subcommand "${name}"`}: ${options.bin} webgraph fetch [--release NAME] [--level domain|host], or ${options.bin} webgraph import DIR [--level domain|host] [--release NAME]\n`);
    return 2;
  }
  try {
    return await subcommand(rest, options, config, io);
  } catch (error) {
    if (io.signal?.aborted) {
      io.err('\nCancelled: nothing was kept.\n');
      return 130;
    }
    io.err(`\n${describeError(error)}\n`);
    return 1;
  }
}

function levelOf(value: string | undefined): 'domain' | 'host' | undefined {
  if (value === undefined || value === 'domain' || value === 'host') return value;
  throw new Error(`--level must be domain or host (got ${JSON.stringify(value)})`);
}

const PHASES = { vertices: 'reading vertices', names: 'registrable domains', ranks: 'reading ranks', edges: 'reading edges', writing: 'writing Parquet' } as const;
// (phases: see ImportProgress in providers/local/engine/webgraph.ts)

async function importCommand(args: string[], options: WebgraphCommandOptions, config: Config, io: CommandIo): Promise<number> {
  const dir = args[0];
  if (dir === undefined) {
    io.err(`Give the folder holding the release's files: ${options.bin} webgraph import DIR [--level domain|host]\n`);
    return 2;
  }
  let level: 'domain' | 'host' | undefined;
  try {
    level = levelOf(options.level);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  const { importRelease } = await import('./providers/local/engine/webgraph.js');
  const started = performance.now();
  let lastLine = 0;
  const result = await importRelease(dir, {
    cacheDir: config.cacheDir,
    ...(level !== undefined && { level }),
    ...(options.release !== undefined && { release: options.release }),
    ...(config.duckdbMemory !== undefined && { memoryLimit: config.duckdbMemory }),
    ...(io.signal !== undefined && { signal: io.signal }),
    onProgress: (progress) => {
      const now = performance.now();
      if (now - lastLine < 200) return;
      lastLine = now;
      const seconds = Math.round((now - started) / 1000);
      const of = progress.total === undefined ? '' : ` of ${progress.total.toLocaleString('en')}`;
      const done = progress.percent !== undefined ? `${progress.percent}%` : `${progress.done.toLocaleString('en')}${of} rows`;
      io.err(`\r${PHASES[progress.phase]}: ${done} (${seconds} s)\u001b[K`);
    },
  });
  const m = result.manifest;
  if (options.json) {
    io.out(`${JSON.stringify({ converted: result.converted, folder: result.folder, ...m }, null, 2)}\n`);
  }
  io.err(
    `\r${result.converted ? `Imported ${m.release} (${m.level} level) in ${m.seconds} s` : `${m.release} (${m.level} level) was already imported from these files`}: ${m.vertices.toLocaleString('en')} vertices, ${m.sites.toLocaleString('en')} sites, ${m.links.toLocaleString('en')} site-to-site links, into ${result.folder}\u001b[K\n` +
      `Use it with provider "commoncrawl" (the newest imported release answers unless BACKLINK_GAP_WEBGRAPH_RELEASE names one).\n`,
  );
  return 0;
}
