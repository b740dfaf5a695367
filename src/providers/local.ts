// The embedded `local` provider: gap, link intersect and backlinks over a links file on disk
// (BACKLINK_GAP_DATA) or the bundled synthetic sample. Free, offline, loaded lazily on first use.

import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BacklinksResult, GapResult, IntersectResult } from '../domain.js';
import { sourceDomainOf } from '../hosts.js';
import type { Logger } from '../log.js';
import { packageRoot } from '../package-root.js';
import { datasetLabel, type LocalDataset, loadDataset } from './local-dataset.js';
import { backlinksQuery, gapQuery, intersectQuery, Scratch } from './local/queries.js';
import { type CallContext, noCost, type Provider, type ProviderDescription } from './provider.js';

export { type LocalDataset, loadDataset } from './local-dataset.js';

/** The bundled sample folder, under the package root (found the same way from src/ and the dist/ bundle). */
export function sampleDataPath(): string {
  return join(packageRoot(), 'data', 'sample');
}

const SAMPLE_NOTE = 'Bundled synthetic sample (plumbers in Austin, TX), not real data; set BACKLINK_GAP_DATA to use your own links.';

interface Loaded {
  data: LocalDataset;
  scratch: Scratch;
}

export function createLocalProvider(options: { dataPath?: string; logger: Logger; /** For export ages (tests). */ now?: () => Date }): Provider {
  const synthetic = options.dataPath === undefined;
  const path = options.dataPath === undefined ? sampleDataPath() : resolve(options.dataPath);
  const cost = noCost('local', 'none');
  let loading: Promise<Loaded> | undefined;

  // One load shared by concurrent first calls; a failed load is forgotten so the next call retries.
  let loadedAs = '';
  const load = (): Promise<Loaded> => {
    // An edited dataset (another size or mtime) is loaded again: its answers are keyed by its identity.
    if (loading !== undefined && loadedAs === datasetIdentity(path)) return loading;
    loadedAs = datasetIdentity(path);
    const started = performance.now();
    const attempt = loadDataset(path, {
      ...(synthetic && { variable: 'the bundled sample path' }),
      ...(options.now !== undefined && { now: options.now() }),
    }).then((data) => {
      for (const failure of data.exports?.load.failures ?? []) {
        options.logger.warn('local export not read', { file: failure.file, problem: failure.message });
      }
      options.logger.info('local dataset loaded', {
        files: datasetLabel(data.files),
        links: data.linkCount,
        internal_links_ignored: data.internalLinks,
        domains: data.domainCount,
        milliseconds: Math.round(performance.now() - started),
      });
      return { data, scratch: new Scratch(data) };
    });
    loading = attempt;
    attempt.catch((error: unknown) => {
      if (loading === attempt) loading = undefined;
      options.logger.warn('local dataset failed to load', { error: error instanceof Error ? error.message : String(error) });
    });
    return attempt;
  };

  const ready = async (context: CallContext): Promise<Loaded> => {
    const loaded = await load();
    context.signal?.throwIfAborted();
    return loaded;
  };

  /** The export files an answer used, their dates and warnings (nothing for a plain links file). */
  const exportNotes = (data: LocalDataset, domains: string[], owner?: string): string[] =>
    data.exports === undefined ? [] : data.exports.notes(domains, owner);

  return {
    name: 'local',
    describe(): ProviderDescription {
      return {
        name: 'local',
        title: synthetic ? 'Local dataset (bundled synthetic sample)' : 'Local dataset',
        capabilities: ['gap', 'backlinks', 'intersect'],
        computed: [],
        configured: true,
        unit: 'none',
        pricing: 'free: reads a links file on this machine',
        account: datasetIdentity(path),
      };
    },

    async gap(query, context): Promise<GapResult> {
      const { data, scratch } = await ready(context);
      const answer = gapQuery(data, scratch, query);
      const sources = exportNotes(data, [query.your_domain, ...query.competitor_domains], query.your_domain);
      const notes = synthetic ? [SAMPLE_NOTE, ...answer.notes] : [...answer.notes, ...sources];
      return {
        prospects: answer.prospects,
        total_prospects: answer.total_prospects,
        cost,
        status: 'complete',
        ...(synthetic && { synthetic: true }),
        ...(notes.length > 0 && { notes }),
      };
    },

    async intersect(query, context): Promise<IntersectResult> {
      const { data, scratch } = await ready(context);
      const answer = intersectQuery(data, scratch, query);
      const domains = [...query.positive_targets, ...query.negative_targets].map((target) => sourceDomainOf(target.target));
      const notes = synthetic ? [SAMPLE_NOTE] : exportNotes(data, domains);
      return { ...answer, cost, ...(synthetic && { synthetic: true }), ...(notes.length > 0 && { notes }) };
    },

    async backlinks(query, context): Promise<BacklinksResult> {
      const { data, scratch } = await ready(context);
      const answer = backlinksQuery(data, scratch, query);
      const notes = synthetic ? [SAMPLE_NOTE] : exportNotes(data, [sourceDomainOf(query.target)]);
      return { target: query.target, ...answer, cost, ...(synthetic && { synthetic: true }), ...(notes.length > 0 && { notes }) };
    },

    estimate() {
      return cost;
    },
  };
}

/** Path, size and modification time of each file a dataset may hold, hashed: the local provider's
 *  account in every cache key, so an edited dataset is never answered from the past, in any process. */
function datasetIdentity(path: string): string {
  const parts = [path];
  // A folder of exports holds any files: all of them count (readdir fails for a single file).
  let files = [path];
  try {
    files = [path, ...readdirSync(path).filter((name) => !name.startsWith('.')).sort().map((name) => join(path, name))];
  } catch {
    // A single file, or nothing there yet.
  }
  for (const file of files) {
    try {
      const info = statSync(file);
      if (info.isFile()) parts.push(`${file}:${info.size}:${info.mtimeMs}`);
    } catch {
      // Not there (or the path is a file, not a folder): not part of the dataset.
    }
  }
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 12);
}
