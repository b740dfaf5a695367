// `webgraph fetch [--release NAME] [--level domain|host]`: downloads a Common Crawl hyperlink-graph
// release into the cache (resuming any partial, size-checked), then imports it. Progress goes to
// stderr; stdout gets the result. Ctrl-C stops cleanly and keeps what was downloaded.

import type { Config } from '../config.js';
import { BacklinkGapError, UsageError } from '../errors.js';
import { formatBytes } from '../http/download.js';
import { createProgressBar, duration, type ProgressBar } from '../progress.js';
import type { ImportProgress, ImportResult } from '../providers/local/engine/webgraph.js';
import type { DownloadedRelease, WebgraphLevel } from '../providers/local/webgraph-download.js';

/** The import step (engine/webgraph.ts's importRelease; tests may pass another). */
export type ImportReleaseFunction = typeof import('../providers/local/engine/webgraph.js').importRelease;

export interface WebgraphFetchOptions {
  config: Config;
  release?: string;
  level?: string;
  signal?: AbortSignal;
  /** Default: process.stderr. */
  stderr?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  importRelease: ImportReleaseFunction;
}

export interface WebgraphFetchResult {
  release: string;
  level: WebgraphLevel;
  downloads: string;
  files: Array<{ path: string; bytes: number; resumed_from?: number; already_complete?: boolean }>;
  imported?: { folder: string; converted: boolean; sites: number; links: number };
}

export function levelOf(value: string | undefined): WebgraphLevel {
  if (value === undefined || value === 'domain') return 'domain';
  if (value === 'host') return 'host';
  throw new UsageError('invalid_input', `--level must be domain or host (got ${JSON.stringify(value.slice(0, 40))})`);
}

export async function webgraphFetch(options: WebgraphFetchOptions): Promise<WebgraphFetchResult> {
  const level = levelOf(options.level);
  const stderr = options.stderr ?? process.stderr;
  const { createDownloader } = await import('../http/download.js');
  const { downloadRelease } = await import('../providers/local/webgraph-download.js');
  const downloader = createDownloader();
  let bar: ProgressBar | undefined;
  let downloaded: DownloadedRelease;
  try {
    downloaded = await downloadRelease({
      settings: options.config.webgraphDownload,
      cacheDir: options.config.cacheDir,
      level,
      ...(options.release !== undefined && { release: options.release }),
      downloader,
      ...(options.signal !== undefined && { signal: options.signal }),
      onEvent: (event) => {
        if (event.type === 'release') {
          stderr.write(`Common Crawl web graph ${event.release} (${event.level} level)${event.note !== undefined ? `: ${event.note}` : ''}\n`);
        } else if (event.type === 'file') {
          const name = event.file.path.split('/').at(-1) ?? event.file.path;
          bar = createProgressBar(`[${event.index + 1}/${event.count}] ${name}`, { stream: stderr });
        } else if (event.type === 'progress') {
          bar?.update(event.progress.bytes, event.progress.total ?? event.file.size);
        } else {
          const { result } = event;
          const name = event.file.path.split('/').at(-1) ?? event.file.path;
          bar?.finish(
            result.alreadyComplete
              ? `${name}: already downloaded (${formatBytes(result.bytes)})`
              : `${name}: ${formatBytes(result.bytes)}${result.resumedFrom > 0 ? `, resumed from ${formatBytes(result.resumedFrom)}` : ''}${result.restarted ? ', started again (the server sent the whole file)' : ''}${result.sizeChecked ? ', size checked' : ', size not checked (the server did not say)'}`,
          );
          bar = undefined;
        }
      },
    });
  } catch (error) {
    bar?.finish(`${error instanceof BacklinkGapError && error.code === 'cancelled' ? 'interrupted' : 'stopped'}`);
    throw error;
  } finally {
    await downloader.close();
  }
  const result: WebgraphFetchResult = {
    release: downloaded.release,
    level,
    downloads: downloaded.dir,
    files: downloaded.files.map((file) => ({
      path: file.path,
      bytes: file.bytes,
      ...(file.resumedFrom > 0 && { resumed_from: file.resumedFrom }),
      ...(file.alreadyComplete && { already_complete: true }),
    })),
  };
  stderr.write(`Importing ${downloaded.release} (${level}) into Parquet under ${options.config.cacheDir} …\n`);
  const started = Date.now();
  let phase: ImportProgress['phase'] | undefined;
  let importBar: ProgressBar | undefined;
  let phaseStarted = started;
  const endPhase = () => {
    if (phase !== undefined) importBar?.finish(`import: ${PHASES[phase]}, ${duration((Date.now() - phaseStarted) / 1000)}`);
  };
  let imported: ImportResult;
  try {
    imported = await options.importRelease(downloaded.dir, {
      cacheDir: options.config.cacheDir,
      level,
      release: downloaded.release,
      ...(options.config.duckdbMemory !== undefined && { memoryLimit: options.config.duckdbMemory }),
      onProgress: (progress) => {
        if (progress.phase !== phase) {
          endPhase();
          phase = progress.phase;
          phaseStarted = Date.now();
          importBar = createProgressBar(`import: ${PHASES[progress.phase]}`, { stream: stderr, unit: 'count' });
        }
        importBar?.update(progress.done, progress.total);
      },
      ...(options.signal !== undefined && { signal: options.signal }),
    });
  } catch (error) {
    importBar?.finish(options.signal?.aborted ? 'import: interrupted' : 'import: stopped');
    if (options.signal?.aborted) {
      throw new BacklinkGapError('cancelled', `interrupted while importing: the downloads are kept in ${downloaded.dir}; run the same command again (nothing is downloaded again).`);
    }
    throw error;
  }
  endPhase();
  const { manifest } = imported;
  stderr.write(
    `${imported.converted ? `Imported in ${duration((Date.now() - started) / 1000)}` : 'Already imported from these files'}: ${manifest.sites.toLocaleString('en-US')} sites, ${manifest.links.toLocaleString('en-US')} site-to-site links, into ${imported.folder}\n`,
  );
  result.imported = { folder: imported.folder, converted: imported.converted, sites: manifest.sites, links: manifest.links };
  return result;
}

const PHASES: Record<ImportProgress['phase'], string> = {
  vertices: 'reading vertices',
  names: 'registrable domains',
  ranks: 'reading ranks',
  edges: 'reading edges',
  writing: 'writing Parquet',
};
/** The `webgraph fetch` subcommand, in the shape of webgraph-command.ts's subcommands. */
export async function fetchSubcommand(
  args: string[],
  options: { level?: string; release?: string; json?: boolean; bin: string },
  config: Config,
  io: { out(text: string): void; err(text: string): void; signal?: AbortSignal },
): Promise<number> {
  if (args.length > 0) {
    io.err(`webgraph fetch takes no folder (it downloads into the cache): ${options.bin} webgraph fetch [--release NAME] [--level domain|host]\n`);
    return 2;
  }
  const { importRelease } = await import('../providers/local/engine/webgraph.js');
  const stderr = { write: (text: string) => io.err(text), isTTY: process.stderr.isTTY === true, ...(process.stderr.columns !== undefined && { columns: process.stderr.columns }) };
  let result: WebgraphFetchResult;
  try {
    result = await webgraphFetch({
      config,
      ...(options.release !== undefined && { release: options.release }),
      ...(options.level !== undefined && { level: options.level }),
      ...(io.signal !== undefined && { signal: io.signal }),
      stderr,
      importRelease,
    });
  } catch (error) {
    if (error instanceof BacklinkGapError && error.code === 'cancelled') {
      io.err(`\n${error.message}\n`);
      return 130;
    }
    if (io.signal?.aborted) {
      io.err('\nInterrupted: what was downloaded is kept under the cache; run the same command again to resume.\n');
      return 130;
    }
    if (error instanceof UsageError && error.code === 'invalid_input') {
      io.err(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const total = result.files.reduce((sum, file) => sum + file.bytes, 0);
    io.out(`${result.release} (${result.level} level): ${result.files.length} files, ${formatBytes(total)} in ${result.downloads}; imported. Use it with --provider commoncrawl.\n`);
  }
  return 0;
}
