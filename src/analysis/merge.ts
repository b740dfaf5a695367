// Provider "all": merge several providers' gap answers into one row per referring domain.

import type { CompetitorLinks, LinkingPage, ProspectCore, ProviderMetrics, ProviderName } from '../domain.js';

const MAX_SOURCE_PAGES = 3;

/**
 * One row per referring domain across providers. Competitors are the union (in the order of
 * `competitors`, then any others as first seen); found_by lists the providers in input order; each
 * provider's own figures stay in provider_metrics; authority and spam are the medians of the
 * normalised figures present (absent when none); backlinks, dofollow_links and referring_domains are
 * the largest figure (the biggest index saw the most), per competitor too (by_competitor, whose best
 * linking page is the first dofollow one, else the first); dofollow is true if any provider saw a dofollow link,
 * false if all that know say nofollow, absent if none knows; source_pages are the union (at most 3)
 * and titles the union. Rows come out in first-seen order; rankProspects orders them.
 */
export function mergeProspects(
  results: ReadonlyArray<{ provider: ProviderName; prospects: readonly ProspectCore[] }>,
  competitors: readonly string[],
): ProspectCore[] {
  const groups = new Map<string, Array<{ provider: ProviderName; core: ProspectCore }>>();
  for (const { provider, prospects } of results) {
    for (const core of prospects) {
      const domain = core.domain.trim().toLowerCase();
      const group = groups.get(domain);
      if (group) group.push({ provider, core });
      else groups.set(domain, [{ provider, core }]);
    }
  }
  return [...groups].map(([domain, group]) => mergeGroup(domain, group, competitors));
}

function mergeGroup(domain: string, group: ReadonlyArray<{ provider: ProviderName; core: ProspectCore }>, competitors: readonly string[]): ProspectCore {
  const cores = group.map((entry) => entry.core);
  const linked = unique(cores.flatMap((core) => core.competitors.map((competitor) => competitor.toLowerCase())));
  const foundBy = unique(group.flatMap(({ provider, core }) => [provider, ...core.found_by]));

  const providerMetrics: Partial<Record<ProviderName, ProviderMetrics>> = {};
  for (const { provider, core } of group) {
    for (const [name, metrics] of Object.entries(core.provider_metrics ?? {}) as Array<[ProviderName, ProviderMetrics | undefined]>) {
      if (metrics !== undefined && providerMetrics[name] === undefined) providerMetrics[name] = metrics;
    }
    if (providerMetrics[provider] === undefined) {
      const own = metricsOf(core);
      if (Object.keys(own).length > 0) providerMetrics[provider] = own;
    }
  }

  const authority = median(cores.map((core) => core.authority));
  const spam = median(cores.map((core) => core.spam_score));
  const backlinks = maximum(cores.map((core) => core.backlinks));
  const dofollowLinks = maximum(cores.map((core) => core.dofollow_links));
  const byCompetitor = mergeByCompetitor(cores);
  const referringDomains = maximum(cores.map((core) => core.referring_domains));
  const dofollowKnown = cores.map((core) => core.dofollow).filter((value): value is boolean => value !== undefined);
  const titles = unique(cores.flatMap((core) => core.titles ?? []));
  const sourcePages = unique(cores.flatMap((core) => core.source_pages ?? [])).slice(0, MAX_SOURCE_PAGES);

  return {
    domain,
    ...(authority !== undefined && { authority }),
    competitors: [...competitors.filter((competitor) => linked.includes(competitor)), ...linked.filter((competitor) => !competitors.includes(competitor))],
    ...(backlinks !== undefined && { backlinks }),
    ...(dofollowLinks !== undefined && { dofollow_links: dofollowLinks }),
    ...(referringDomains !== undefined && { referring_domains: referringDomains }),
    ...(dofollowKnown.length > 0 && { dofollow: dofollowKnown.includes(true) }),
    ...(spam !== undefined && { spam_score: spam }),
    ...(titles.length > 0 && { titles }),
    ...(sourcePages.length > 0 && { source_pages: sourcePages }),
    ...(byCompetitor !== undefined && { by_competitor: byCompetitor }),
    ...(Object.keys(providerMetrics).length > 0 && { provider_metrics: providerMetrics }),
    found_by: foundBy,
  };
}

/** Per competitor: the largest link and dofollow counts any provider gave, and the best page. */
function mergeByCompetitor(cores: readonly ProspectCore[]): Record<string, CompetitorLinks> | undefined {
  const merged = new Map<string, CompetitorLinks[]>();
  for (const core of cores) {
    for (const [competitor, links] of Object.entries(core.by_competitor ?? {})) {
      const key = competitor.toLowerCase();
      const seen = merged.get(key);
      if (seen) seen.push(links);
      else merged.set(key, [links]);
    }
  }
  if (merged.size === 0) return undefined;
  return Object.fromEntries(
    [...merged].map(([competitor, all]) => {
      const links = maximum(all.map((entry) => entry.links));
      const dofollowLinks = maximum(all.map((entry) => entry.dofollow_links));
      const pages = all.map((entry) => entry.page).filter((page): page is LinkingPage => page !== undefined);
      const page = pages.find((candidate) => candidate.rel !== undefined && !candidate.rel.nofollow && !candidate.rel.sponsored && !candidate.rel.ugc) ?? pages[0];
      const entry: CompetitorLinks = {
        ...(links !== undefined && { links }),
        ...(dofollowLinks !== undefined && { dofollow_links: dofollowLinks }),
        ...(page !== undefined && { page }),
      };
      return [competitor, entry];
    }),
  );
}

/** The normalised figures a provider reported on its row, for rows that came without provider_metrics. */
function metricsOf(core: ProspectCore): ProviderMetrics {
  return {
    ...(core.authority !== undefined && { authority: core.authority }),
    ...(core.spam_score !== undefined && { spam_score: core.spam_score }),
    ...(core.backlinks !== undefined && { backlinks: core.backlinks }),
    ...(core.referring_domains !== undefined && { referring_domains: core.referring_domains }),
    ...(core.dofollow !== undefined && { dofollow: core.dofollow }),
  };
}

function known(values: ReadonlyArray<number | undefined>): number[] {
  return values.filter((value): value is number => value !== undefined && Number.isFinite(value));
}

/** Median of the known values; the mean of the middle two for an even count. */
function median(values: ReadonlyArray<number | undefined>): number | undefined {
  const sorted = known(values).sort((left, right) => left - right);
  if (sorted.length === 0) return undefined;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function maximum(values: ReadonlyArray<number | undefined>): number | undefined {
  const present = known(values);
  return present.length === 0 ? undefined : Math.max(...present);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
