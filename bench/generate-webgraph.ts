// Writes a synthetic Common Crawl hyperlink graph release in exactly Common Crawl's file format, for
// the commoncrawl provider's tests and benchmarks: gzipped tab-separated text, reversed names, vertex
// ids in the order of the sorted reversed names, edges sorted by (from_id, to_id), a ranks file with
// cc-webgraph's header. Seeded, power-law in-degree, sized by edge count; edges are streamed to disk
// (never held in memory), so 100 M edges take a few minutes. Writes only inside the folder it is given.
//
//   tsx bench/generate-webgraph.ts DIR [--edges 1000000] [--level domain|host|both] [--seed N]

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import { createGzip, type Gzip } from 'node:zlib';
import { mulberry32 } from './random.js';

export type WebGraphLevel = 'domain' | 'host';

export interface GenerateWebGraphOptions {
  /** Edges per level (default 1,000,000). */
  edges?: number;
  /** Vertices per level; default one per 20 edges (at least 30). */
  vertices?: number;
  /** Default `cc-main-2026-jan-feb-mar`. */
  release?: string;
  levels?: WebGraphLevel[];
  seed?: number;
  /** gzip level (default 1: the format is the same at any level; Common Crawl uses gzip's default). */
  gzipLevel?: number;
  /** Called now and then with the edges written so far. */
  onProgress?: (edges: number, total: number) => void;
}

export interface GeneratedLevel {
  level: WebGraphLevel;
  vertices: number;
  edges: number;
  files: { vertices: string; edges: string; ranks: string };
  /** Un-reversed names of the vertices with the most in-edges, largest first (up to 20). */
  largestTargets: string[];
}

export interface GeneratedWebGraph {
  dir: string;
  release: string;
  levels: GeneratedLevel[];
}

const WORDS = ['best', 'local', 'city', 'home', 'pro', 'daily', 'green', 'north', 'metro', 'prime', 'blue', 'river', 'oak', 'pine', 'summit', 'harbor'];
const KINDS = ['news', 'blog', 'guide', 'directory', 'review', 'forum', 'media', 'hub', 'list', 'times', 'plumbing', 'press'];
const UNICODE_WORDS = ['bücher', 'café', 'straße', 'münchen', 'école', 'señal'];
const HOST_LABELS = ['www', 'blog', 'shop', 'news', 'm', 'forum', 'docs', 'mail'];

/** A registrable-looking name for vertex `index`: mostly .com, with co.uk, github.io and blogspot
 *  subdomains (private suffixes), wordpress.com blogs, .edu/.gov and punycode (IDN) names mixed in. */
function siteName(index: number, random: () => number): string {
  const word = WORDS[Math.floor(random() * WORDS.length)]!;
  const kind = KINDS[Math.floor(random() * KINDS.length)]!;
  const base = `${word}${kind}${index.toString(36)}`;
  const roll = random();
  if (roll < 0.45) return `${base}.com`;
  if (roll < 0.55) return `${base}.org`;
  if (roll < 0.62) return `${base}.net`;
  if (roll < 0.7) return `${base}.co.uk`;
  if (roll < 0.76) return `${base}.de`;
  if (roll < 0.8) return `${base}.github.io`;
  if (roll < 0.83) return `${base}.blogspot.com`;
  if (roll < 0.86) return `${base}.wordpress.com`;
  if (roll < 0.88) return `${base}.edu`;
  if (roll < 0.89) return `${base}.gov`;
  if (roll < 0.92) return `${base}.com.au`;
  if (roll < 0.96) return domainToASCII(`${UNICODE_WORDS[Math.floor(random() * UNICODE_WORDS.length)]!}${index.toString(36)}.de`);
  return `${base}.io`;
}

const reverse = (name: string) => name.split('.').reverse().join('.');

class GzipLines {
  private readonly gzip: Gzip;
  private readonly done: Promise<unknown>;
  private chunk = '';
  constructor(path: string, level: number) {
    this.gzip = createGzip({ level });
    const file = createWriteStream(path);
    this.gzip.pipe(file);
    this.done = once(file, 'finish');
  }
  async line(text: string): Promise<void> {
    this.chunk += text;
    if (this.chunk.length >= 1 << 16) {
      const full = this.chunk;
      this.chunk = '';
      if (!this.gzip.write(full)) await once(this.gzip, 'drain');
    }
  }
  async close(): Promise<void> {
    if (this.chunk !== '') this.gzip.write(this.chunk);
    this.gzip.end();
    await this.done;
  }
}

/** Writes `<release>-<level>-{vertices,edges,ranks}.txt.gz` for each level into `dir`. */
export async function generateWebGraph(dir: string, options: GenerateWebGraphOptions = {}): Promise<GeneratedWebGraph> {
  const release = options.release ?? 'cc-main-2026-jan-feb-mar';
  const levels = options.levels ?? ['domain'];
  await mkdir(dir, { recursive: true });
  const out: GeneratedLevel[] = [];
  for (const [index, level] of levels.entries()) {
    out.push(await generateLevel(dir, release, level, options, (options.seed ?? 20_260_301) + index * 7919));
  }
  return { dir, release, levels: out };
}

async function generateLevel(dir: string, release: string, level: WebGraphLevel, options: GenerateWebGraphOptions, seed: number): Promise<GeneratedLevel> {
  const random = mulberry32(seed);
  const edgeTarget = Math.max(1, Math.floor(options.edges ?? 1_000_000));
  const count = Math.max(30, Math.floor(options.vertices ?? edgeTarget / 20));
  const gzipLevel = options.gzipLevel ?? 1;

  // Names: at the host level a site has a few hosts (www, blog, the bare name...), all distinct.
  const names: string[] = [];
  const hostCounts: number[] = [];
  const seen = new Set<string>();
  for (let site = 0; names.length < count; site++) {
    const name = siteName(site, random);
    if (level === 'domain') {
      if (seen.has(name)) continue;
      seen.add(name);
      names.push(reverse(name));
      hostCounts.push(1 + Math.floor(random() ** 4 * 40));
      continue;
    }
    const hosts = 1 + Math.floor(random() ** 2 * 4);
    const labels = HOST_LABELS.slice(0, hosts);
    if (random() < 0.5) labels[0] = '';
    for (const label of labels) {
      if (names.length >= count) break;
      const host = label === '' ? name : `${label}.${name}`;
      if (seen.has(host)) continue;
      seen.add(host);
      names.push(reverse(host));
    }
  }
  seen.clear();
  // Common Crawl numbers vertices in the order of their sorted reversed names.
  names.sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
  const prefix = join(dir, `${release}-${level}`);
  const files = { vertices: `${prefix}-vertices.txt.gz`, edges: `${prefix}-edges.txt.gz`, ranks: `${prefix}-ranks.txt.gz` };

  const vertices = new GzipLines(files.vertices, gzipLevel);
  for (let id = 0; id < count; id++) {
    await vertices.line(level === 'domain' ? `${id}\t${names[id]}\t${hostCounts[id]}\n` : `${id}\t${names[id]}\n`);
  }
  await vertices.close();

  // Popularity order: a random permutation, so the most linked are not the alphabetically first.
  const popular = new Int32Array(count);
  for (let index = 0; index < count; index++) popular[index] = index;
  for (let index = count - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const swap = popular[index]!;
    popular[index] = popular[other]!;
    popular[other] = swap;
  }
  // Out-degrees: 60% of vertices link out (the crawled ones), Pareto-distributed, summing to the target.
  const maxDegree = Math.max(1, Math.floor((count - 1) / 4));
  const weights = new Float64Array(count);
  let weightSum = 0;
  for (let id = 0; id < count; id++) {
    if (random() < 0.6) {
      weights[id] = (1 - random()) ** (-1 / 1.7);
      weightSum += weights[id]!;
    }
  }
  const degrees = new Int32Array(count);
  let assigned = 0;
  for (let id = 0; id < count; id++) {
    degrees[id] = Math.min(maxDegree, Math.floor((weights[id]! * edgeTarget) / weightSum));
    assigned += degrees[id]!;
  }
  const capacity = Math.min(edgeTarget, count * maxDegree);
  while (assigned < capacity) {
    const id = Math.floor(random() * count);
    if (degrees[id]! < maxDegree) {
      degrees[id]!++;
      assigned++;
    }
  }

  // In-degree is a power law: targets are drawn by popularity rank with density ∝ rank^-0.9
  // (continuous inverse CDF, no table), which gives in-degrees ∝ k^-2.1 as measured on the web.
  const exponent = 0.9;
  const span = (count + 1) ** (1 - exponent) - 1;
  const draw = () => {
    const rank = Math.floor((1 + random() * span) ** (1 / (1 - exponent))) - 1;
    return popular[Math.min(count - 1, Math.max(0, rank))]!;
  };
  const inDegree = new Int32Array(count);
  const mark = new Int32Array(count);
  const chosen = new Int32Array(maxDegree);
  const edges = new GzipLines(files.edges, gzipLevel);
  let written = 0;
  for (let from = 0; from < count; from++) {
    const degree = degrees[from]!;
    if (degree === 0) continue;
    const stamp = from + 1;
    mark[from] = stamp; // no self-links
    let picked = 0;
    let attempts = 0;
    while (picked < degree) {
      // Very popular sources saturate the head of the distribution: finish them uniformly.
      const to = attempts++ < degree * 20 ? draw() : Math.floor(random() * count);
      if (mark[to] === stamp) continue;
      mark[to] = stamp;
      chosen[picked++] = to;
    }
    const sorted = chosen.subarray(0, picked).sort();
    let text = '';
    for (let index = 0; index < picked; index++) {
      const to = sorted[index]!;
      inDegree[to]!++;
      text += `${from}\t${to}\n`;
    }
    await edges.line(text);
    written += picked;
    if (options.onProgress !== undefined && (from & 4095) === 0) options.onProgress(written, edgeTarget);
  }
  await edges.close();
  options.onProgress?.(written, edgeTarget);

  // Ranks: harmonic centrality and PageRank follow in-degree with noise, so their orders differ.
  const harmonic = new Float64Array(count);
  const pagerank = new Float64Array(count);
  for (let id = 0; id < count; id++) {
    harmonic[id] = (Math.log1p(inDegree[id]!) + random() * 0.8) * count * 0.05;
    pagerank[id] = ((inDegree[id]! + 1) * (0.6 + random() * 0.8)) / (written + count);
  }
  const byHarmonic = new Uint32Array(count);
  const byPagerank = new Uint32Array(count);
  for (let id = 0; id < count; id++) {
    byHarmonic[id] = id;
    byPagerank[id] = id;
  }
  byHarmonic.sort((left, right) => harmonic[right]! - harmonic[left]! || left - right);
  byPagerank.sort((left, right) => pagerank[right]! - pagerank[left]! || left - right);
  const pagerankPosition = new Uint32Array(count);
  byPagerank.forEach((id, position) => {
    pagerankPosition[id] = position + 1;
  });
  const ranks = new GzipLines(files.ranks, gzipLevel);
  await ranks.line(`#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev${level === 'domain' ? '\t#n_hosts' : ''}\n`);
  for (let position = 0; position < count; position++) {
    const id = byHarmonic[position]!;
    const tail = level === 'domain' ? `\t${hostCounts[id]}` : '';
    await ranks.line(`${position + 1}\t${harmonic[id]!.toPrecision(8)}\t${pagerankPosition[id]}\t${pagerank[id]!.toExponential(6)}\t${names[id]}${tail}\n`);
  }
  await ranks.close();

  const largest = Array.from({ length: Math.min(20, count) }, (_, index) => index);
  const top = new Uint32Array(count);
  for (let id = 0; id < count; id++) top[id] = id;
  top.sort((left, right) => inDegree[right]! - inDegree[left]! || left - right);
  return {
    level,
    vertices: count,
    edges: written,
    files,
    largestTargets: largest.map((index) => reverse(names[top[index]!]!)),
  };
}

if (process.argv[1]?.endsWith('generate-webgraph.ts')) {
  const [dir, ...rest] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write('usage: tsx bench/generate-webgraph.ts DIR [--edges N] [--level domain|host|both] [--seed N]\n');
    process.exit(2);
  }
  const option = (name: string) => {
    const at = rest.indexOf(`--${name}`);
    return at === -1 ? undefined : rest[at + 1];
  };
  const level = option('level') ?? 'domain';
  const started = performance.now();
  const graph = await generateWebGraph(dir, {
    edges: Number(option('edges') ?? 1_000_000),
    ...(option('seed') !== undefined && { seed: Number(option('seed')) }),
    levels: level === 'both' ? ['domain', 'host'] : [level as WebGraphLevel],
    onProgress: (done, total) => process.stderr.write(`\r${done.toLocaleString('en')} / ${total.toLocaleString('en')} edges`),
  });
  process.stderr.write(`\n${JSON.stringify({ ...graph, seconds: Math.round((performance.now() - started) / 100) / 10 }, null, 1)}\n`);
}
