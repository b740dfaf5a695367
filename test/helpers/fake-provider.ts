// A programmable Provider for service and tool tests: counts calls, answers from fixed data.

import type {
  Backlink,
  BacklinksQuery,
  BacklinksResult,
  GapQuery,
  GapResult,
  IntersectQuery,
  IntersectResult,
  ProspectCore,
  ProviderName,
} from '../../src/domain.js';
import type { CallContext, Provider } from '../../src/providers/provider.js';

export interface FakeProvider extends Provider {
  calls: { gap: GapQuery[]; backlinks: BacklinksQuery[]; intersect: IntersectQuery[] };
  /** Replace the gap answer (or make it throw). */
  gapAnswer: (query: GapQuery, context: CallContext) => Promise<GapResult>;
}

export function prospect(domain: string, competitors: string[], extra: Partial<ProspectCore> = {}): ProspectCore {
  return { domain, competitors, found_by: [], ...extra };
}

export function createFakeProvider(
  name: ProviderName,
  options: { prospects?: ProspectCore[]; backlinks?: Backlink[]; unit?: 'credits' | 'usd' | 'rows'; costPerCall?: number; upTo?: true } = {},
): FakeProvider {
  const unit = options.unit ?? 'credits';
  const costPerCall = options.costPerCall ?? 10;
  const calls: FakeProvider['calls'] = { gap: [], backlinks: [], intersect: [] };
  const prospects = (options.prospects ?? []).map((p) => ({ ...p, found_by: [name] }));
  const rows = options.backlinks ?? [];
  const fake: FakeProvider = {
    name,
    calls,
    describe: () => ({
      name,
      title: `Fake ${name}`,
      capabilities: ['gap', 'backlinks', 'intersect'],
      computed: [],
      configured: true,
      unit,
      pricing: `${costPerCall} ${unit} a call`,
      account: `acct-${name}`,
    }),
    // upTo: the estimate is a maximum, as a provider billed per row returned marks it.
    estimate: () => ({ amount: costPerCall, unit, provider: name, ...(options.upTo && { up_to: true as const }) }),
    gapAnswer: async (query) => {
      const matching = prospects
        .map((p) => ({ ...p, competitors: p.competitors.filter((c) => query.competitor_domains.includes(c)) }))
        .filter((p) => p.competitors.length >= query.min_competitors);
      return {
        prospects: matching.slice(0, query.limit),
        total_prospects: matching.length,
        cost: { amount: costPerCall, unit, provider: name },
      };
    },
    async gap(query, context) {
      calls.gap.push(query);
      return fake.gapAnswer(query, context);
    },
    async backlinks(query): Promise<BacklinksResult> {
      calls.backlinks.push(query);
      const offset = query.cursor ? Number(query.cursor) : 0;
      const page = rows.slice(offset, offset + query.limit);
      const next = offset + page.length < rows.length ? String(offset + page.length) : undefined;
      return {
        target: query.target,
        metrics: { links_in: rows.length },
        backlinks: page,
        total: rows.length,
        ...(next !== undefined && { next_cursor: next }),
        cost: { amount: costPerCall, unit, provider: name },
      };
    },
    async intersect(query): Promise<IntersectResult> {
      calls.intersect.push(query);
      return {
        results: [
          { source: 'example.org', source_domain: 'example.org', domain_authority: 50, matching_targets: [query.positive_targets[0]!.target] },
        ],
        total: 1,
        cost: { amount: costPerCall, unit, provider: name },
      };
    },
  };
  return fake;
}

export function backlinkRows(count: number, target = 'a.com'): Backlink[] {
  return Array.from({ length: count }, (_, index) => ({
    source_url: `https://site${index}.com/page-${index}`,
    source_domain: `site${index}.com`,
    target_url: `https://${target}/`,
    anchor: `anchor ${index % 7}`,
    dofollow: index % 3 !== 0,
    authority: 100 - (index % 100),
  }));
}
