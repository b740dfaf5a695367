// Expectations computed independently from the bundled sample files (own CSV parsing, own set logic).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'tldts';
import { HOSTING_PLATFORM_DOMAINS } from '../../src/hosting-platforms.js';

export const SAMPLE_DIR = fileURLToPath(new URL('../../data/sample/', import.meta.url));
export const YOU = 'bluebonnetplumbing.com';
export const COMPETITORS = ['austinplumbingco.com', 'capitalcityplumbers.com', 'lonestarrooter.com', 'hillcountryplumbing.com', 'eastsidepipeworks.com'];

/** Minimal RFC 4180 reader, independent of the server's parser. */
export function readCsv(path: string): Record<string, string>[] {
  const text = readFileSync(path, 'utf8');
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((cell) => cell !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows;
  return body.map((cells) => Object.fromEntries(header!.map((name, index) => [name.trim(), cells[index] ?? ''])));
}

// A blog on a hosting platform (joe.wordpress.com) is a site of its own, like a private suffix's.
const PLATFORMS: ReadonlySet<string> = new Set(HOSTING_PLATFORM_DOMAINS);
const domainOf = (url: string) => {
  const host = new URL(url).hostname.replace(/^www\./, '');
  const domain = parse(host, { allowPrivateDomains: true }).domain ?? host;
  if (!PLATFORMS.has(domain) || host === domain) return domain;
  const below = host.slice(0, -domain.length - 1);
  return `${below.slice(below.lastIndexOf('.') + 1)}.${domain}`;
};

export interface SampleTruth {
  /** referring domain → competitors it links to (gap only: never links to YOU). */
  gap: Map<string, Set<string>>;
  links: Record<string, string>[];
  authority: Map<string, number>;
  /** every link to a target domain */
  linksTo(domain: string): Record<string, string>[];
}

export function sampleTruth(competitors: readonly string[] = COMPETITORS, you = YOU): SampleTruth {
  const links = readCsv(`${SAMPLE_DIR}links.csv`);
  const domains = readCsv(`${SAMPLE_DIR}domains.csv`);
  const authority = new Map(domains.filter((d) => d.authority !== '').map((d) => [d.domain!, Number(d.authority)]));
  const linksToYou = new Set<string>();
  const toCompetitors = new Map<string, Set<string>>();
  for (const link of links) {
    const source = domainOf(link.source_url!);
    const target = domainOf(link.target_url!);
    if (source === target) continue;
    if (target === you) linksToYou.add(source);
    if (competitors.includes(target) && source !== you && !competitors.includes(source)) {
      const set = toCompetitors.get(source) ?? new Set();
      set.add(target);
      toCompetitors.set(source, set);
    }
  }
  const gap = new Map([...toCompetitors].filter(([source]) => !linksToYou.has(source)));
  return { gap, links, authority, linksTo: (domain) => links.filter((link) => domainOf(link.target_url!) === domain) };
}
