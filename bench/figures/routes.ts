// Acquisition-route rules (src/analysis/route-rules.ts) measured on the route fixtures
// (test/fixtures/routes/): precision and recall per route. pages.json is what the rules were written
// against; held-out.json was written after they were frozen and measured once, before any tuning for it.

import type { Route } from '../../src/domain.js';
import { errorText, type GroupOptions, missingRow, type Row } from './shared.js';

interface Tally {
  truePositive: number;
  predicted: number;
  actual: number;
}

function tallies(set: ReadonlyArray<{ route: Route; predicted: Route }>): Map<Route, Tally> {
  const out = new Map<Route, Tally>();
  const of = (route: Route) => {
    const tally = out.get(route) ?? { truePositive: 0, predicted: 0, actual: 0 };
    out.set(route, tally);
    return tally;
  };
  for (const { route, predicted } of set) {
    of(route).actual += 1;
    of(predicted).predicted += 1;
    if (route === predicted) of(route).truePositive += 1;
  }
  return out;
}

const percent = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((1000 * part) / whole) / 10);
const single = (value: number) => ({ median: value, min: value, max: value, runs: 1 });

export async function measureRoutes(_options: GroupOptions): Promise<Row[]> {
  const group = 'routes';
  let modules: [typeof import('../../test/helpers/route-fixtures.js'), typeof import('../../src/domain.js')];
  try {
    modules = await Promise.all([import('../../test/helpers/route-fixtures.js'), import('../../src/domain.js')]);
  } catch (error) {
    return [missingRow(group, 'routes: fixture accuracy', '%', `not measured (module missing): ${errorText(error)}`)];
  }
  const [{ FIXTURES, HELD_OUT, routeOfFixture }, { ROUTES }] = modules;
  const decided = (set: typeof FIXTURES) => set.map((fixture) => ({ route: fixture.route, predicted: routeOfFixture(fixture).route, url: fixture.url }));
  const written = decided(FIXTURES);
  const held = decided(HELD_OUT);
  const rows: Row[] = [];
  for (const [name, set, target] of [
    ['routes: accuracy on the fixtures the rules were written against', written, 95],
    ['routes: accuracy on held-out pages (written after the rules)', held, 80],
  ] as const) {
    const right = set.filter((item) => item.route === item.predicted).length;
    const misses = set.filter((item) => item.route !== item.predicted).map((item) => `${item.url} (${item.route} → ${item.predicted})`);
    rows.push({
      group,
      figure: name,
      unit: '%',
      ours: single(percent(right, set.length)),
      tally: `${right} of ${set.length}`,
      target,
      direction: 'at_least',
      note: `${right} of ${set.length} pages${misses.length > 0 ? `; misses: ${misses.join('; ')}` : ''}`,
    });
  }
  const all = [...written, ...held];
  const byRoute = tallies(all);
  for (const route of ROUTES) {
    const tally = byRoute.get(route) ?? { truePositive: 0, predicted: 0, actual: 0 };
    rows.push({
      group,
      figure: `routes: precision, ${route}`,
      unit: '%',
      ours: single(percent(tally.truePositive, tally.predicted)),
      tally: `${tally.truePositive}/${tally.predicted}`,
      note: `all ${all.length} pages: ${tally.truePositive} right of ${tally.predicted} predicted ${route}; recall ${percent(tally.truePositive, tally.actual)}% (${tally.truePositive} of ${tally.actual})`,
    });
  }
  return rows;
}
