// Which files make a Common Crawl hyperlink-graph release, and downloading them into the cache in
// Common Crawl's own names and layout (what `importRelease` reads):
//   <cache>/webgraph/downloads/<release>/<level>/<release>-<level>-{vertices,edges,ranks}.txt.gz
// Releases are listed newest first in graphinfo.json. A level whose vertices or edges are split into
// parts is described by `<release>-<level>-{vertices,edges}.paths.gz`, a gzipped list of paths (seen
// for the host level; UNVERIFIED for recent domain levels): its parts land at their path under the
// level folder (`vertices/part-….txt.gz`). BACKLINK_GAP_WEBGRAPH_PARTS picks single, listing or auto.

import { mkdir, readFile, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { WebgraphDownloadSettings } from '../../config.js';
import { BacklinkGapError, UsageError } from '../../errors.js';
import { type DownloadProgress, type DownloadResult, type Downloader, formatBytes } from '../../http/download.js';

export type WebgraphLevel = 'domain' | 'host';
export type WebgraphKind = 'vertices' | 'edges' | 'ranks';
const KINDS: readonly WebgraphKind[] = ['vertices', 'edges', 'ranks'];
/** Releases tried, newest first, when none is named and the newest is not fully published. */
const DEFAULT_CANDIDATES = 3;
const RELEASE_NAME = /^[a-z0-9][a-z0-9._-]{1,99}$/i;

export interface ReleaseInfo {
  id: string;
  crawls?: string[];
}

export interface PlannedFile {
  kind: WebgraphKind;
  url: string;
  /** Path under the level folder, as Common Crawl names it. */
  path: string;
  size?: number;
  /** A `.paths.gz` listing (read to find the parts), not data. */
  listing?: boolean;
}

export type DownloadEvent =
  | { type: 'release'; release: string; level: WebgraphLevel; note?: string }
  | { type: 'file'; file: PlannedFile; index: number; count: number }
  | { type: 'progress'; file: PlannedFile; progress: DownloadProgress }
  | { type: 'done'; file: PlannedFile; result: DownloadResult };

export interface DownloadReleaseOptions {
  settings: WebgraphDownloadSettings;
  cacheDir: string;
  level: WebgraphLevel;
  /** Default: the newest release in graphinfo.json whose files are all published. */
  release?: string;
  downloader: Downloader;
  signal?: AbortSignal;
  onEvent?: (event: DownloadEvent) => void;
  /** Free bytes on the disk holding `dir` (tests pass a fake); default statfs. */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface DownloadedRelease {
  release: string;
  level: WebgraphLevel;
  /** The folder to import. */
  dir: string;
  files: Array<PlannedFile & { bytes: number; resumedFrom: number; alreadyComplete: boolean }>;
}

export function downloadDirectory(cacheDir: string, release: string, level: WebgraphLevel): string {
  return join(cacheDir, 'webgraph', 'downloads', release, level);
}

/** graphinfo.json: an array, newest first, of objects with at least an `id`. */
export async function listReleases(downloader: Downloader, infoUrl: string, signal?: AbortSignal): Promise<ReleaseInfo[]> {
  const answer = await downloader.get(infoUrl, { ...(signal !== undefined && { signal }), maxBytes: 8 * 1024 * 1024 });
  if (answer.status !== 200) {
    throw new BacklinkGapError('upstream_unavailable', `the release list ${infoUrl} answered HTTP ${answer.status}; try again later, or name a release with --release`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch {
    throw new BacklinkGapError('invalid_response', `the release list ${infoUrl} is not JSON`);
  }
  const items = Array.isArray(parsed) ? parsed : [];
  const releases = items.flatMap((item): ReleaseInfo[] => {
    if (item === null || typeof item !== 'object') return [];
    const { id, crawls } = item as { id?: unknown; crawls?: unknown };
    if (typeof id !== 'string' || !RELEASE_NAME.test(id)) return [];
    const crawlList = Array.isArray(crawls) ? crawls.filter((c): c is string => typeof c === 'string') : undefined;
    return [{ id, ...(crawlList !== undefined && { crawls: crawlList }) }];
  });
  if (releases.length === 0) throw new BacklinkGapError('invalid_response', `the release list ${infoUrl} names no release`);
  return releases;
}

function fileName(release: string, level: WebgraphLevel, kind: WebgraphKind, suffix: 'txt.gz' | 'paths.gz'): string {
  return `${release}-${level}-${kind}.${suffix}`;
}

/** The files of one release and level, or what is missing. HEAD answers give the sizes. */
export async function planRelease(
  options: Pick<DownloadReleaseOptions, 'settings' | 'level' | 'downloader' | 'signal'>,
  release: string,
): Promise<{ files: PlannedFile[]; missing: string[] }> {
  const { settings, level, downloader } = options;
  const base = `${settings.dataUrl}/${release}/${level}`;
  const files: PlannedFile[] = [];
  const missing: string[] = [];
  const probe = async (path: string): Promise<{ present: boolean; size?: number }> => {
    const head = await downloader.head(`${base}/${path}`, options.signal === undefined ? {} : { signal: options.signal });
    if (head.status >= 200 && head.status < 300) return { present: true, ...(head.size !== undefined && { size: head.size }) };
    // A server without HEAD: assume the file is there; the download says otherwise.
    if (head.status === 405 || head.status === 501) return { present: true };
    // S3 behind a CDN answers 403 for a key that does not exist.
    if (head.status === 403 || head.status === 404 || head.status === 410) return { present: false };
    throw new BacklinkGapError('upstream_unavailable', `${base}/${path} answered HTTP ${head.status}; try again later`);
  };
  for (const kind of KINDS) {
    const single = fileName(release, level, kind, 'txt.gz');
    const listing = fileName(release, level, kind, 'paths.gz');
    if (settings.parts !== 'listing' || kind === 'ranks') {
      const found = await probe(single);
      if (found.present) {
        files.push({ kind, url: `${base}/${single}`, path: single, ...(found.size !== undefined && { size: found.size }) });
        continue;
      }
      if (settings.parts === 'single' || kind === 'ranks') {
        missing.push(single);
        continue;
      }
    }
    const found = await probe(listing);
    if (found.present) files.push({ kind, url: `${base}/${listing}`, path: listing, listing: true, ...(found.size !== undefined && { size: found.size }) });
    else missing.push(settings.parts === 'listing' ? listing : `${single} (nor ${listing})`);
  }
  return { files, missing };
}

/** The parts a `.paths.gz` listing names, each resolved under the configured data URL only. */
export function partsOfListing(text: string, settings: WebgraphDownloadSettings, release: string, level: WebgraphLevel, kind: WebgraphKind): PlannedFile[] {
  const prefix = `${release}/${level}/`;
  const parts: PlannedFile[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // Lines are paths from the bucket's root (`projects/hyperlinkgraph/<release>/…`); accept full URLs too.
    const path = line.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i, '').replace(/^\/+/, '').replace(/^projects\/hyperlinkgraph\//, '');
    const under = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    if (under === undefined || !/^[A-Za-z0-9._=/-]+$/.test(under) || under.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) {
      throw new BacklinkGapError(
        'invalid_response',
        `the ${kind} listing of ${release} (${level}) names ${JSON.stringify(line.slice(0, 200))}, which is not a file under ${release}/${level}/; nothing was downloaded from it`,
      );
    }
    parts.push({ kind, url: `${settings.dataUrl}/${prefix}${under}`, path: under });
  }
  if (parts.length === 0) throw new BacklinkGapError('invalid_response', `the ${kind} listing of ${release} (${level}) names no file`);
  return parts;
}

/** Picks the release, downloads its files (resuming any partial), and returns the folder to import. */
export async function downloadRelease(options: DownloadReleaseOptions): Promise<DownloadedRelease> {
  const { settings, level, downloader, signal } = options;
  const emit = options.onEvent ?? (() => undefined);
  if (options.release !== undefined && !RELEASE_NAME.test(options.release)) {
    throw new UsageError('invalid_input', `--release ${JSON.stringify(options.release.slice(0, 100))} is not a release name (such as cc-main-2026-mar-apr-may)`);
  }
  const releases = await listReleases(downloader, settings.infoUrl, signal);
  let release: string;
  let plan: { files: PlannedFile[]; missing: string[] };
  let note: string | undefined;
  if (options.release !== undefined) {
    const named = options.release;
    if (!releases.some((item) => item.id === named)) {
      const shown = releases.slice(0, 12).map((item) => item.id);
      throw new UsageError(
        'invalid_input',
        `unknown release "${named}": ${settings.infoUrl} lists ${shown.join(', ')}${releases.length > shown.length ? `, … (${releases.length} in all)` : ''} (newest first). Name one of these with --release, or leave it out for the newest.`,
      );
    }
    release = named;
    plan = await planRelease(options, release);
    if (plan.missing.length > 0) throw missingError(release, level, plan.missing, settings);
  } else {
    const skipped: string[] = [];
    let chosen: { release: string; plan: typeof plan } | undefined;
    let firstMissing: string[] = [];
    for (const candidate of releases.slice(0, DEFAULT_CANDIDATES)) {
      const candidatePlan = await planRelease(options, candidate.id);
      if (candidatePlan.missing.length === 0) {
        chosen = { release: candidate.id, plan: candidatePlan };
        break;
      }
      if (skipped.length === 0) firstMissing = candidatePlan.missing;
      skipped.push(candidate.id);
    }
    if (chosen === undefined) throw missingError(releases[0]!.id, level, firstMissing, settings);
    release = chosen.release;
    plan = chosen.plan;
    if (skipped.length > 0) note = `${skipped.join(', ')} ${skipped.length === 1 ? 'is' : 'are'} listed but not fully published at the ${level} level; using ${release}, the newest that is`;
  }
  emit({ type: 'release', release, level, ...(note !== undefined && { note }) });

  const dir = downloadDirectory(options.cacheDir, release, level);
  await mkdir(dir, { recursive: true });
  await checkSpace(dir, plan.files, options.freeBytes ?? freeBytesOf);
  // Listings first (small): they say which parts there are, so the file count is known before data flows.
  const data: PlannedFile[] = [];
  const listings: PlannedFile[] = [];
  for (const file of plan.files) (file.listing ? listings : data).push(file);
  const fetched: DownloadedRelease['files'] = [];
  const fetchOne = async (file: PlannedFile, index: number, count: number) => {
    emit({ type: 'file', file, index, count });
    const destination = join(dir, ...file.path.split('/'));
    await mkdir(join(destination, '..'), { recursive: true });
    const result = await downloader.download({
      url: file.url,
      destination,
      ...(signal !== undefined && { signal }),
      onProgress: (progress) => emit({ type: 'progress', file, progress }),
    });
    emit({ type: 'done', file, result });
    fetched.push({ ...file, bytes: result.bytes, resumedFrom: result.resumedFrom, alreadyComplete: result.alreadyComplete });
    return result;
  };
  for (const [index, listing] of listings.entries()) {
    const result = await fetchOne(listing, index, listings.length);
    const text = gunzipSync(await readFile(result.path)).toString('utf8');
    data.push(...partsOfListing(text, settings, release, level, listing.kind));
  }
  // Vertices, then ranks, then edges: the largest last, so the small files are ready early.
  const order: Record<WebgraphKind, number> = { vertices: 0, ranks: 1, edges: 2 };
  data.sort((a, b) => order[a.kind] - order[b.kind]);
  for (const [index, file] of data.entries()) await fetchOne(file, index, data.length);
  return { release, level, dir, files: fetched };
}

function missingError(release: string, level: WebgraphLevel, missing: string[], settings: WebgraphDownloadSettings): BacklinkGapError {
  return new BacklinkGapError(
    'not_found',
    `${release} has no ${missing.join(', ')} at the ${level} level under ${settings.dataUrl}/${release}/${level}/. It may not be fully published yet: name an older release with --release${
      settings.parts === 'auto' ? '' : `, or set BACKLINK_GAP_WEBGRAPH_PARTS=auto (now ${settings.parts})`
    }.`,
  );
}

async function freeBytesOf(dir: string): Promise<number> {
  const info = await statfs(dir);
  return Number(info.bavail) * Number(info.bsize);
}

/** Refuses to start a download the disk cannot hold (what is already on disk, whole or partial, counts). */
async function checkSpace(dir: string, files: PlannedFile[], freeBytes: (dir: string) => Promise<number>): Promise<void> {
  let needed = 0;
  for (const file of files) {
    if (file.size === undefined) continue;
    const destination = join(dir, ...file.path.split('/'));
    const have = Math.max(await sizeOf(destination), await sizeOf(`${destination}.partial`));
    needed += Math.max(0, file.size - have);
  }
  const free = await freeBytes(dir);
  if (needed > free) {
    throw new UsageError(
      'invalid_input',
      `the release needs ${formatBytes(needed)} more to download, but ${dir} has ${formatBytes(free)} free (and the Parquet import needs about as much again). Free some space, or set BACKLINK_GAP_CACHE_DIR to a larger disk.`,
    );
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
