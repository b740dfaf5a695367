// The embedded `local` provider: gap, link intersect and backlinks over a links file on disk
// (BACKLINK_GAP_DATA) or the bundled synthetic sample. Free, offline, loaded lazily on first use.

import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BacklinksQuery, BacklinksResult, CompetitorLinks, GapQuery, GapResult, IntersectQuery, IntersectResult, ProspectCore, ProviderMetrics } from '../domain.js';
import { invalidInput } from '../errors.js';
import { sourceDomainOf } from '../hosts.js';
import type { Logger } from '../log.js';
import { packageRoot } from '../package-root.js';
import type { LocalEngine } from './local/engine/local.js';
import { type BacklinksAnswer, backlinksQuery, type GapAnswer, gapQuery, type IntersectAnswer, intersectQuery, Scratch } from './local/queries.js';
import { decodePageToken, encodePageToken, queryHash } from './local/select.js';
import { datasetLabel, type LocalDataset, loadDataset, resolveDatasetFiles } from './local-dataset.js';
import { type CallContext, noCost, type Provider, type ProviderDescription } from './provider.js';

export { type LocalDataset, loadDataset } from './local-dataset.js';

/** The bundled sample folder, under the package root (found the same way from src/ and the dist/ bundle). */
export function sampleDataPath(): string {
  return join(packageRoot(), 'data', 'sample');
}

/** True for the error `import('@duckdb/node-api')` throws when the package is not installed. */
function duckDbMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && error instanceof Error && error.message.includes('@duckdb/node-api');
}

const SAMPLE_NOTE = 'Bundled synthetic sample (plumbers in Austin, TX), not real data; set BACKLINK_GAP_DATA to use your own links.';

interface Loaded {
  data: LocalDataset;
  scratch: Scratch;
}

export function createLocalProvider(options: {
  dataPath?: string;
  logger: Logger;
  /** For export ages (tests). */
  now?: () => Date;
  /** With a cache directory, answers come from DuckDB over Parquet converted once into it. `exports:
   *  false` leaves a folder of vendor exports to the index: its load is needed for the exports' notes
   *  and figures anyway, so the engine would only add a conversion (the default, unless named). */
  engine?: { cacheDir: string; memoryLimit?: string; exports?: boolean };
}): Provider {
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

  // The engine over Parquet, opened once per dataset identity (a changed dataset is converted again).
  let engine: { identity: string; opening: Promise<LocalEngine | undefined> } | undefined;
  // Vendor exports: the engine answers, and the load (exports.ts) adds what the layout does not
  // hold: the files and dates an answer used, page titles, vendor figures, Search Console owners.
  let exportsFolder = false;
  const exportData = async (context: CallContext): Promise<LocalDataset | undefined> => (exportsFolder ? (await ready(context)).data : undefined);
  // A conversion runs for the call that started it and stops when that call is cancelled.
  const engineFor = (context: CallContext): Promise<LocalEngine | undefined> => {
    const settings = options.engine;
    if (settings === undefined) return Promise.resolve(undefined);
    const identity = datasetIdentity(path);
    if (engine?.identity === identity) return engine.opening;
    const previous = engine?.opening;
    const opening = (async () => {
      (await previous?.catch(() => undefined))?.close();
      const files = await resolveDatasetFiles(path, synthetic ? 'the bundled sample path' : undefined);
      exportsFolder = files.format === 'exports';
      if (exportsFolder && settings.exports === false) return undefined;
      const started = performance.now();
      const { openLocalEngine } = await import('./local/engine/local.js');
      let opened: LocalEngine;
      try {
        opened = await openLocalEngine(identity, { files, load: async () => (await load()).data }, {
          cacheDir: settings.cacheDir,
          ...(settings.memoryLimit !== undefined && { memoryLimit: settings.memoryLimit }),
          ...(context.signal !== undefined && { signal: context.signal }),
          progress: (message, values) => options.logger.info(message, values),
        });
      } catch (error) {
        // The Claude Desktop bundle leaves DuckDB out (a native binary per platform, ~70 MB):
        // without the module the in-memory index answers, as it does for vendor exports.
        if (!duckDbMissing(error)) throw error;
        options.logger.warn('DuckDB (@duckdb/node-api) is not installed: local answers come from the in-memory index');
        return undefined;
      }
      options.logger.info(opened.converted ? 'local dataset converted to Parquet' : 'local Parquet reused', {
        folder: opened.folder,
        milliseconds: Math.round(performance.now() - started),
      });
      return opened;
    })();
    engine = { identity, opening };
    opening.catch((error: unknown) => {
      if (engine?.opening === opening) engine = undefined;
      options.logger.warn('local engine failed to open', { error: error instanceof Error ? error.message : String(error) });
    });
    return opening;
  };

  const ready = async (context: CallContext): Promise<Loaded> => {
    const loaded = await load();
    context.signal?.throwIfAborted();
    return loaded;
  };

  /** An answer from DuckDB when it is on, else from the index, with the dataset its export notes
   *  come from (the index's own; with the engine, the export load when the data is a folder of exports). */
  const answered = async <T>(
    context: CallContext,
    fromEngine: (engine: LocalEngine, exported: LocalDataset | undefined) => Promise<T>,
    fromIndex: (loaded: Loaded) => T,
  ): Promise<{ answer: T; data?: LocalDataset }> => {
    const opened = await engineFor(context);
    context.signal?.throwIfAborted();
    if (opened === undefined) {
      const loaded = await ready(context);
      return { answer: fromIndex(loaded), data: loaded.data };
    }
    const data = await exportData(context);
    const answer = await fromEngine(opened, data);
    context.signal?.throwIfAborted();
    return { answer, ...(data !== undefined && { data }) };
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
      const { answer, data } = await answered(
        context,
        (opened, exported) => engineGap(opened, query, exported),
        ({ data, scratch }) => gapQuery(data, scratch, query),
      );
      const sources = data === undefined ? [] : exportNotes(data, [query.your_domain, ...query.competitor_domains], query.your_domain);
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
      const { answer, data } = await answered(
        context,
        (opened) => engineIntersect(opened, query),
        ({ data, scratch }) => intersectQuery(data, scratch, query),
      );
      const domains = [...query.positive_targets, ...query.negative_targets].map((target) => sourceDomainOf(target.target));
      const notes = synthetic ? [SAMPLE_NOTE] : data === undefined ? [] : exportNotes(data, domains);
      return { ...answer, cost, ...(synthetic && { synthetic: true }), ...(notes.length > 0 && { notes }) };
    },

    async backlinks(query, context): Promise<BacklinksResult> {
      const { answer, data } = await answered(
        context,
        (opened) => engineBacklinks(opened, query),
        ({ data, scratch }) => backlinksQuery(data, scratch, query),
      );
      const notes = synthetic ? [SAMPLE_NOTE] : data === undefined ? [] : exportNotes(data, [sourceDomainOf(query.target)]);
      return { target: query.target, ...answer, cost, ...(synthetic && { synthetic: true }), ...(notes.length > 0 && { notes }) };
    },

    estimate() {
      return cost;
    },
  };
}

/** A gap from the engine, shaped exactly as the in-memory index shapes it (queries.ts gapQuery). */
async function engineGap(engine: LocalEngine, query: GapQuery, data?: LocalDataset): Promise<GapAnswer> {
  const competitors = query.competitor_domains;
  if (competitors.length > 31) {
    throw invalidInput('competitor_domains', competitors.length, 'the local provider compares at most 31 competitors');
  }
  // Search Console's links export says who links to you even when no backlinks export of your site exists.
  const owners = data === undefined ? [] : data.ownerSources(query.your_domain).map((id) => data.domainName(id));
  const answer = await engine.gapOf({ competitors, you: query.your_domain, minCompetitors: query.min_competitors, limit: query.limit, linkingToYou: owners });
  const notes = answer.absent.map((position) => `${competitors[position]} has no backlinks in the local dataset.`);
  if (!answer.youKnown && owners.length === 0) {
    notes.push(`${query.your_domain} has no backlinks in the local dataset, so no prospect is excluded as already linking to you.`);
  }
  const prospects = answer.rows.map((row): ProspectCore => {
    const byCompetitor: Record<string, CompetitorLinks> = {};
    let dofollowLinks = 0;
    competitors.forEach((competitor, position) => {
      const found = row.byCompetitor.get(position);
      if (found === undefined) return;
      dofollowLinks += found.dofollow_links;
      byCompetitor[competitor] = found;
    });
    const id = data === undefined ? -1 : data.domainId(row.domain);
    const vendor = id === -1 ? undefined : data?.vendorFigures(id);
    const titles = id === -1 ? undefined : data?.titlesOf(id);
    const metrics: ProviderMetrics = {
      ...(row.authority !== undefined && {
        authority: row.authority,
        ...(vendor === undefined ? { authority_raw: row.authority } : vendor.raw !== undefined && { authority_raw: vendor.raw }),
        authority_scale: vendor?.scale ?? 'authority 0-100',
      }),
      ...(vendor !== undefined && Object.keys(vendor.metrics).length > 0 && { vendor_metrics: vendor.metrics }),
      ...(row.spam_score !== undefined && { spam_score: row.spam_score }),
      backlinks: row.links,
      ...(row.referring_domains !== undefined && { referring_domains: row.referring_domains }),
      dofollow: row.dofollow,
    };
    return {
      domain: row.domain,
      ...(row.authority !== undefined && { authority: row.authority }),
      competitors: row.competitors.map((position) => competitors[position]!),
      backlinks: row.links,
      dofollow_links: dofollowLinks,
      ...(row.referring_domains !== undefined && { referring_domains: row.referring_domains }),
      dofollow: row.dofollow,
      ...(row.spam_score !== undefined && { spam_score: row.spam_score }),
      ...(titles !== undefined && { titles }),
      source_pages: row.pages,
      by_competitor: byCompetitor,
      provider_metrics: { local: metrics },
      found_by: ['local'],
    };
  });
  return { prospects, total_prospects: answer.total, notes };
}

/** An intersect from the engine, paged exactly as the index pages it (queries.ts intersectQuery). */
async function engineIntersect(engine: LocalEngine, query: IntersectQuery): Promise<IntersectAnswer> {
  const positives = query.positive_targets;
  if (positives.length > 31) throw invalidInput('positive_targets', positives.length, 'the local provider takes at most 31 positive targets');
  const hash = queryHash(['intersect', positives, query.negative_targets, query.min_matching_targets, query.source_scope, query.sort]);
  const offset = decodePageToken(query.next_token, hash, 'next_token');
  const { results, total } = await engine.intersectOf({
    positives: positives.map((target) => ({ target: target.target, scope: target.scope })),
    negatives: query.negative_targets.map((target) => ({ target: target.target, scope: target.scope })),
    minMatching: query.min_matching_targets,
    byDomain: query.source_scope === 'root_domain',
    sort: query.sort,
    offset,
    limit: query.limit,
  });
  const end = offset + results.length;
  return { results, total, ...(end < total && results.length > 0 && { next_token: encodePageToken(end, hash) }) };
}

/** Backlinks from the engine, paged exactly as the index pages them (queries.ts backlinksQuery). */
async function engineBacklinks(engine: LocalEngine, query: BacklinksQuery): Promise<BacklinksAnswer> {
  const hash = queryHash(['backlinks', query.target, query.target_kind, query.mode, query.dofollow ?? null, query.anchor ?? null, query.min_authority ?? null]);
  const offset = decodePageToken(query.cursor, hash, 'cursor');
  const answer = await engine.backlinksOf({
    target: query.target,
    scope: query.target_kind === 'domain' ? 'root_domain' : query.target_kind,
    mode: query.mode,
    ...(query.dofollow !== undefined && { dofollow: query.dofollow }),
    ...(query.anchor !== undefined && { anchor: query.anchor }),
    ...(query.min_authority !== undefined && { minAuthority: query.min_authority }),
    offset,
    limit: query.limit,
  });
  const end = offset + answer.backlinks.length;
  return { ...answer, ...(end < answer.total && answer.backlinks.length > 0 && { next_cursor: encodePageToken(end, hash) }) };
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
