// The route fixtures (test/fixtures/routes/): real-world-shaped linking pages with the route a person
// would give them. pages.json is what the rules were written against; held-out.json was written after
// the rules were frozen and is only measured (bench/figures/routes.ts), never tuned for.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Category, LinkRel, Route } from '../../src/domain.js';
import { decideRoute, type RouteDecision } from '../../src/analysis/routes.js';

export interface RouteFixture {
  url: string;
  title: string;
  anchor: string;
  rel?: 'sponsored' | 'ugc' | 'nofollow';
  domain: string;
  category: Category;
  route: Route;
}

function load(name: string): RouteFixture[] {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/routes/${name}`, import.meta.url)), 'utf8')) as RouteFixture[];
}

export const FIXTURES = load('pages.json');
export const HELD_OUT = load('held-out.json');

export function routeOfFixture(fixture: RouteFixture): RouteDecision {
  const rel: LinkRel | undefined = fixture.rel === undefined ? undefined : { [fixture.rel]: true };
  return decideRoute({
    domain: fixture.domain,
    category: fixture.category,
    pages: [{ url: fixture.url, title: fixture.title, anchor: fixture.anchor, ...(rel !== undefined && { rel }) }],
  });
}
