// Which Common Crawl web graph releases are imported under the cache directory: read from each
// release folder's manifest, with no DuckDB and no public suffix list, so the registry can say at
// start-up whether the commoncrawl provider is configured. The layout itself is written by webgraph.ts.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bumped when the Parquet layout changes: folders of another layout are not read (import again). */
export const WEBGRAPH_LAYOUT = 'webgraph-v1';

export type WebGraphLevel = 'domain' | 'host';

/** `<cache>/webgraph/<release>-<level>/release.json`. */
export interface WebGraphManifest {
  layout: string;
  release: string;
  level: WebGraphLevel;
  /** Hash of the source files' paths, sizes and modification times. */
  identity: string;
  source: Array<{ file: string; size: number; mtime: string }>;
  vertices: number;
  sites: number;
  /** Rows of links.parquet: (target site, source site) pairs. */
  links: number;
  /** Edges read from the release, and how many joined two vertices of one site (dropped as internal). */
  edges: number;
  internal_edges: number;
  converted_at: string;
  seconds: number;
}

export interface ImportedRelease {
  folder: string;
  manifest: WebGraphManifest;
}

export function webgraphRoot(cacheDir: string): string {
  return join(cacheDir, 'webgraph');
}

export function releaseFolder(cacheDir: string, release: string, level: WebGraphLevel): string {
  return join(webgraphRoot(cacheDir), `${release}-${level}`);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Sort key of a release name such as `cc-main-2026-mar-apr-may`: year and first month, so
 *  `2026-jul-aug-sep` is newer than `2026-mar-apr-may` (the names do not sort as text). */
function releaseOrder(manifest: WebGraphManifest): string {
  const found = /(\d{4})-([a-z]{3})/.exec(manifest.release);
  const month = found === null ? -1 : MONTHS.indexOf(found[2]!);
  const key = found === null ? '0000-00' : `${found[1]}-${String(month + 1).padStart(2, '0')}`;
  return `${key}|${manifest.converted_at}`;
}

/** Complete imports of the current layout, newest release first (domain before host within one). */
export function importedReleases(cacheDir: string): ImportedRelease[] {
  let names: string[];
  try {
    names = readdirSync(webgraphRoot(cacheDir));
  } catch {
    return [];
  }
  const found: ImportedRelease[] = [];
  for (const name of names) {
    if (name.includes('.partial-') || name.includes('.old-')) continue;
    const folder = join(webgraphRoot(cacheDir), name);
    try {
      const manifest = JSON.parse(readFileSync(join(folder, 'release.json'), 'utf8')) as WebGraphManifest;
      if (manifest.layout === WEBGRAPH_LAYOUT) found.push({ folder, manifest });
    } catch {
      // Not a release folder, or one still being written.
    }
  }
  return found.sort(
    (left, right) =>
      releaseOrder(right.manifest).localeCompare(releaseOrder(left.manifest)) || left.manifest.level.localeCompare(right.manifest.level),
  );
}

/** The release to answer from: `wanted` when given (either level), else the newest; with its levels. */
export function chooseRelease(cacheDir: string, wanted?: string): { release: string; levels: Partial<Record<WebGraphLevel, ImportedRelease>> } | undefined {
  const all = importedReleases(cacheDir);
  const release = wanted ?? all[0]?.manifest.release;
  if (release === undefined) return undefined;
  const levels: Partial<Record<WebGraphLevel, ImportedRelease>> = {};
  for (const imported of all) {
    if (imported.manifest.release === release) levels[imported.manifest.level] ??= imported;
  }
  return Object.keys(levels).length === 0 ? undefined : { release, levels };
}

const importHint = (command: string) =>
  `Run \`${command} webgraph fetch\` (downloads the newest release and imports it), or download its domain-level vertices, edges and ranks files from https://data.commoncrawl.org/projects/hyperlinkgraph/ and run \`${command} webgraph import DIR\`.`;

/** Why the commoncrawl provider cannot answer yet, for the registry's "not configured" error and the provider's.
 *  `command` runs this program as its user types it (Config.command). */
export function notConfiguredMessage(release: string | undefined, command = 'backlink-gap-mcp'): string {
  return release === undefined
    ? `The Common Crawl web graph is not configured: no release is imported. ${importHint(command)}`
    : `The Common Crawl web graph release ${release} (BACKLINK_GAP_WEBGRAPH_RELEASE) is not imported. ${importHint(command)} Or unset BACKLINK_GAP_WEBGRAPH_RELEASE to use the newest imported one.`;
}
