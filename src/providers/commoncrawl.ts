// The `commoncrawl` provider: gap, link intersect and backlinks at the domain level (the host level
// where a subdomain is asked and that level is imported) from a Common Crawl hyperlink graph release
// imported with `backlink-gap-mcp webgraph import DIR`. Free and offline; DuckDB loads on first use.

import { createHash } from 'node:crypto';
import type { Backlink, BacklinksResult, GapResult, IntersectResult, IntersectRow, ProspectCore, Target } from '../domain.js';
import { UsageError } from '../errors.js';
import { hostOf, sourceDomainOf } from '../hosts.js';
import type { Logger } from '../log.js';
import type { GraphSite, GraphTarget, WebGraph } from './local/engine/webgraph.js';
import { chooseRelease, type ImportedRelease, notConfiguredMessage, type WebGraphLevel } from './local/engine/webgraph-releases.js';
import { decodePageToken, encodePageToken, queryHash } from './local/select.js';
import { noCost, type Provider, type ProviderDescription } from './provider.js';

export interface CommonCrawlOptions {
  cacheDir: string;
  /** BACKLINK_GAP_WEBGRAPH_RELEASE; default the newest imported release. */
  release?: string;
  memoryLimit?: string;
  /** The command hints name (Config.command); default backlink-gap-mcp. */
  command?: string;
  logger: Logger;
}

/** How authority is derived, named in every answer's authority_scale. */
export const AUTHORITY_SCALE = 'harmonic centrality rank, 0-100 = 100·(1 − ln(rank)/ln(vertices))';

const cost = noCost('commoncrawl', 'none');

/** A graph opened over one import, and the queries running on it. */
interface Opened {
  graph: Promise<WebGraph>;
  running: number;
  /** Set when a re-import replaced its files (or the provider closes): it closes once `running` is 0. */
  retired: boolean;
  closed?: Promise<void>;
}

export function createCommonCrawlProvider(options: CommonCrawlOptions): Provider {
  const opened = new Map<string, Opened>();
  const current = () => chooseRelease(options.cacheDir, options.release);

  const closeIfIdle = (entry: Opened): Promise<void> => {
    if (entry.retired && entry.running === 0) entry.closed ??= entry.graph.then((graph) => graph.close()).catch(() => undefined);
    return entry.closed ?? Promise.resolve();
  };

  const open = (imported: ImportedRelease): Opened => {
    const key = `${imported.folder}|${imported.manifest.identity}`;
    const known = opened.get(key);
    if (known !== undefined) return known;
    // A re-import replaced the files of this folder: the graph opened over the old ones closes once
    // the queries still running on it end (it reads the files it was opened on until then).
    for (const [other, stale] of opened) {
      if (!other.startsWith(`${imported.folder}|`)) continue;
      opened.delete(other);
      stale.retired = true;
      void closeIfIdle(stale);
    }
    const graph = (async () => {
      const started = performance.now();
      const { openWebGraph } = await import('./local/engine/webgraph.js');
      const graph = await openWebGraph(imported, {
        cacheDir: options.cacheDir,
        ...(options.memoryLimit !== undefined && { memoryLimit: options.memoryLimit }),
      });
      options.logger.info('web graph opened', {
        release: imported.manifest.release,
        level: imported.manifest.level,
        milliseconds: Math.round(performance.now() - started),
      });
      return graph;
    })();
    const entry: Opened = { graph, running: 0, retired: false };
    graph.catch(() => {
      if (opened.get(key) === entry) opened.delete(key);
    });
    opened.set(key, entry);
    return entry;
  };

  /** Runs `work` on the graph of `imported`, counted as running on it so that it is not closed under it. */
  const onGraph = async <T>(imported: ImportedRelease, work: (graph: WebGraph) => Promise<T>): Promise<T> => {
    const entry = open(imported);
    entry.running++;
    try {
      return await work(await entry.graph);
    } finally {
      entry.running--;
      void closeIfIdle(entry);
    }
  };

  /** The imported level to answer from: domain for sites (else host), host for a host when imported. */
  const levelFor = (wantHost: boolean): ImportedRelease => {
    const chosen = current();
    if (chosen === undefined) throw new UsageError('not_configured', notConfiguredMessage(options.release, options.command));
    const { domain, host } = chosen.levels;
    return (wantHost ? (host ?? domain) : (domain ?? host))!;
  };

  const about = (imported: ImportedRelease): string => {
    const m = imported.manifest;
    return `Common Crawl web graph ${m.release}, ${m.level} level (${m.vertices.toLocaleString('en')} ${m.level === 'domain' ? 'domains' : 'hosts'}, ${m.edges.toLocaleString('en')} links between them): one crawl window; the graph has no anchors, no linking pages and no nofollow/dofollow (shown as unknown), and counts a site once per site it links to. Authority: ${AUTHORITY_SCALE}.`;
  };

  const metricsOf = (site: GraphSite) => ({
    ...(site.authority !== undefined && { authority: site.authority }),
    ...(site.harmonicPosition !== undefined && { authority_raw: site.harmonicPosition, authority_scale: AUTHORITY_SCALE }),
    referring_domains: site.referringDomains,
  });

  /** A tool target as the graph names it: a site, or a host when the host level is there. */
  const graphTarget = (value: string, scope: Target['scope'] | 'domain', notes: Set<string>, level: WebGraphLevel): GraphTarget => {
    const host = hostOf(value) ?? value;
    const site = sourceDomainOf(value);
    if (scope === 'page') notes.add(`The web graph has no pages: ${value} is counted as its ${level === 'host' && host !== site ? 'host' : 'domain'}.`);
    if ((scope === 'subdomain' || scope === 'page') && host !== site) {
      if (level === 'host') return { name: host, kind: 'host' };
      notes.add(`${host} is counted as its whole domain ${site}: import the release's host level (webgraph import DIR --level host) to ask for a subdomain.`);
    }
    return { name: site, kind: 'site' };
  };

  return {
    name: 'commoncrawl',

    describe(): ProviderDescription {
      const chosen = current();
      const identities = chosen === undefined ? 'none' : Object.values(chosen.levels).map((level) => `${level.manifest.release}-${level.manifest.level}:${level.manifest.identity}`).join(',');
      return {
        name: 'commoncrawl',
        title: chosen === undefined ? 'Common Crawl web graph' : `Common Crawl web graph (${chosen.release})`,
        capabilities: ['gap', 'backlinks', 'intersect'],
        computed: [],
        configured: chosen !== undefined,
        unit: 'none',
        pricing: 'free: reads an imported Common Crawl web graph release on this machine',
        configureWith: `\`${options.command ?? 'backlink-gap-mcp'} webgraph import DIR\` (and optionally BACKLINK_GAP_WEBGRAPH_RELEASE)`,
        // The release's identity is part of every cache key: a re-import never answers from the past.
        account: createHash('sha256').update(identities).digest('hex').slice(0, 12),
      };
    },

    async gap(query, context): Promise<GapResult> {
      const imported = levelFor(false);
      return onGraph(imported, async (graph) => {
        context.signal?.throwIfAborted();
        if (query.competitor_domains.length > 30) throw new UsageError('invalid_input', 'The web graph compares at most 30 competitors at once.');
        const answer = await graph.gapOf({
          competitors: query.competitor_domains,
          you: query.your_domain,
          minCompetitors: query.min_competitors,
          limit: query.limit,
        });
        const notes = [about(imported)];
        for (const position of answer.absent) notes.push(`${query.competitor_domains[position]} has no links in this release.`);
        if (!answer.youKnown) notes.push(`${query.your_domain} is not in this release, so no prospect is excluded as already linking to you.`);
        const prospects = answer.rows.map(
          (row): ProspectCore => ({
            domain: row.site.name,
            ...(row.site.authority !== undefined && { authority: row.site.authority }),
            competitors: row.competitors.map((position) => query.competitor_domains[position]!),
            referring_domains: row.site.referringDomains,
            provider_metrics: { commoncrawl: metricsOf(row.site) },
            found_by: ['commoncrawl'],
          }),
        );
        return { prospects, total_prospects: answer.total, cost, status: 'complete', notes };
      });
    },

    async intersect(query, context): Promise<IntersectResult> {
      const wantHost = [...query.positive_targets, ...query.negative_targets].some((target) => target.scope !== 'root_domain');
      const imported = levelFor(wantHost);
      return onGraph(imported, async (graph) => {
        context.signal?.throwIfAborted();
        const notes = new Set<string>([about(imported)]);
        const level = imported.manifest.level;
        const positives = query.positive_targets.map((target) => graphTarget(target.target, target.scope, notes, level));
        const negatives = query.negative_targets.map((target) => graphTarget(target.target, target.scope, notes, level));
        if (query.source_scope === 'page') notes.add('The web graph has no linking pages: sources are referring domains.');
        if (query.sort === 'source_spam_score') notes.add('The web graph has no spam score: sorted by authority instead.');
        const hash = queryHash(['commoncrawl-intersect', query.positive_targets, query.negative_targets, query.min_matching_targets, query.sort, imported.manifest.identity]);
        const offset = decodePageToken(query.next_token, hash, 'next_token');
        const answer = await graph.intersectOf({
          positives,
          negatives,
          minMatching: query.min_matching_targets,
          byCount: query.sort === 'matching_target_count',
          limit: query.limit,
          offset,
        });
        for (const target of answer.unknown) notes.add(`${target.name} is not in this release.`);
        const results = answer.rows.map(
          (row): IntersectRow => ({
            source: row.site.name,
            source_domain: row.site.name,
            ...(row.site.authority !== undefined && { domain_authority: row.site.authority }),
            matching_targets: row.matching.map((position) => query.positive_targets[position]!.target),
          }),
        );
        const end = offset + results.length;
        return {
          results,
          total: answer.total,
          ...(end < answer.total && results.length > 0 && { next_token: encodePageToken(end, hash) }),
          cost,
          notes: [...notes],
        };
      });
    },

    async backlinks(query, context): Promise<BacklinksResult> {
      const imported = levelFor(query.target_kind !== 'domain');
      return onGraph(imported, async (graph) => {
        context.signal?.throwIfAborted();
        const notes = new Set<string>([about(imported)]);
        const scope = query.target_kind === 'domain' ? 'root_domain' : query.target_kind;
        const target = graphTarget(query.target, scope, notes, imported.manifest.level);
        if (query.mode !== 'one_per_domain') notes.add('One row per referring domain: the web graph has no individual links or anchors.');
        if (query.dofollow !== undefined) notes.add('The dofollow filter was not applied: the web graph does not know which links are dofollow.');
        const hash = queryHash(['commoncrawl-backlinks', target, query.min_authority ?? null, query.anchor ?? null, imported.manifest.identity]);
        const offset = decodePageToken(query.cursor, hash, 'cursor');
        if (query.anchor !== undefined) {
          notes.add('The web graph has no anchors, so no link matches an anchor filter.');
          return { target: query.target, metrics: {}, backlinks: [], total: 0, cost, notes: [...notes] };
        }
        const answer = await graph.backlinksOf({
          target,
          limit: query.limit,
          offset,
          ...(query.min_authority !== undefined && { minAuthority: query.min_authority }),
        });
        if (!answer.known) notes.add(`${target.name} is not in this release.`);
        const targetUrl = `https://${target.name}/`;
        const backlinks = answer.rows.map(
          ({ site }): Backlink => ({
            source_url: `https://${site.name}/`,
            source_domain: site.name,
            target_url: targetUrl,
            anchor: '',
            site_only: true,
            ...(site.authority !== undefined && { authority: site.authority }),
          }),
        );
        const end = offset + backlinks.length;
        return {
          target: query.target,
          metrics: { ref_domains: answer.referringDomains },
          summary: {
            covered_links: answer.total,
            covers: 'matching',
            counts: 'site_edges',
            referring_domain_count: answer.total,
            referring_domains: answer.rows.slice(0, 25).map(({ site, edges }) => ({
              domain: site.name,
              links: edges,
              ...(site.authority !== undefined && { authority: site.authority }),
            })),
            anchor_count: 0,
            anchors: [],
          },
          backlinks,
          total: answer.total,
          ...(end < answer.total && backlinks.length > 0 && { next_cursor: encodePageToken(end, hash) }),
          cost,
          notes: [...notes],
        };
      });
    },

    estimate() {
      return cost;
    },

    async close() {
      const graphs = [...opened.values()];
      opened.clear();
      for (const entry of graphs) entry.retired = true;
      await Promise.all(graphs.map(closeIfIdle));
    },
  };
}
