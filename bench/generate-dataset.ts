// Writes a large synthetic links dataset (links.csv + domains.csv) with realistic skew, for the
// local provider's scale benchmark. Streams rows to disk; writes only inside the folder it is given.

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from './random.js';

export interface GenerateOptions {
  links?: number;
  targets?: number;
  referringDomains?: number;
  seed?: number;
}

export interface GeneratedDataset {
  linksFile: string;
  domainsFile: string;
  /** The target domain with the most links. */
  largestTarget: string;
  /** Target domains, largest first. */
  targets: string[];
}

/** Cumulative Zipf-like weights 1/rank^exponent, for sampling by binary search. */
function zipfTable(count: number, exponent: number): Float64Array {
  const table = new Float64Array(count);
  let sum = 0;
  for (let rank = 0; rank < count; rank++) {
    sum += 1 / (rank + 1) ** exponent;
    table[rank] = sum;
  }
  for (let rank = 0; rank < count; rank++) table[rank]! /= sum;
  return table;
}

function sample(table: Float64Array, random: number): number {
  let low = 0;
  let high = table.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (table[middle]! < random) low = middle + 1;
    else high = middle;
  }
  return low;
}

const WORDS = ['best', 'local', 'city', 'home', 'pro', 'daily', 'green', 'north', 'metro', 'prime', 'blue', 'river', 'oak', 'pine', 'summit'];
const KINDS = ['news', 'blog', 'guide', 'directory', 'review', 'forum', 'media', 'hub', 'list', 'times'];
const SUFFIXES = ['com', 'com', 'com', 'com', 'net', 'org', 'co.uk', 'io', 'de', 'com.au'];
const ANCHORS = ['click here', 'website', 'read more', 'plumbing services', 'emergency plumber', 'water heater repair', 'learn more', 'home', 'visit site', 'drain cleaning'];

function referringName(index: number, random: () => number): string {
  if (index % 997 === 5) return `college${index}.edu`;
  if (index % 991 === 7) return `city${index}.gov`;
  if (index % 211 === 3) return `writer${index}.blogspot.com`;
  const word = WORDS[Math.floor(random() * WORDS.length)]!;
  const kind = KINDS[Math.floor(random() * KINDS.length)]!;
  const suffix = SUFFIXES[Math.floor(random() * SUFFIXES.length)]!;
  return `${word}${kind}${index}.${suffix}`;
}

const DAY_SPAN = 900; // days from 2024-01-01, to mid 2026
const ISO_DAYS = Array.from({ length: DAY_SPAN + 1 }, (_, offset) =>
  new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10),
);

function day(random: () => number): { first: string; last: string } {
  const firstDay = Math.floor(random() * DAY_SPAN);
  const lastDay = Math.min(DAY_SPAN, firstDay + Math.floor(random() * 400));
  return { first: ISO_DAYS[firstDay]!, last: ISO_DAYS[lastDay]! };
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function finish(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/** Generate `links` rows linking `referringDomains` Zipf-skewed sources to `targets` skewed targets. */
export async function generateDataset(dir: string, options: GenerateOptions = {}): Promise<GeneratedDataset> {
  const linkCount = options.links ?? 1_000_000;
  const targetCount = options.targets ?? 20;
  const referringCount = options.referringDomains ?? 150_000;
  const random = mulberry32(options.seed ?? 20_260_101);
  await mkdir(dir, { recursive: true });

  const targets = Array.from({ length: targetCount }, (_, index) => `target${String(index + 1).padStart(2, '0')}-plumbing.com`);
  const referring = Array.from({ length: referringCount }, (_, index) => referringName(index, random));
  const targetTable = zipfTable(targetCount, 0.8);
  const sourceTable = zipfTable(referringCount, 0.9);

  const linksFile = join(dir, 'links.csv');
  const links = createWriteStream(linksFile);
  await write(links, 'source_url,target_url,anchor,nofollow,first_seen,last_seen\n');
  let chunk = '';
  for (let index = 0; index < linkCount; index++) {
    const source = sample(sourceTable, random());
    const target = sample(targetTable, random());
    const domain = referring[source]!;
    // Popular sources have many pages; a page often links to several targets.
    const pages = Math.max(3, Math.round(4000 / (source + 1) ** 0.6));
    const page = Math.floor(random() * pages);
    const host = random() < 0.7 ? `www.${domain}` : domain;
    const sourceUrl = `https://${host}/${KINDS[page % KINDS.length]}/post-${page}`;
    const targetPage = Math.floor(random() ** 2 * 300);
    const targetHost = random() < 0.05 ? `blog.${targets[target]}` : `www.${targets[target]}`;
    const targetUrl = targetPage === 0 ? `https://${targetHost}/` : `https://${targetHost}/services/page-${targetPage}`;
    const roll = random();
    const anchor =
      roll < 0.02
        ? `"${targets[target]}, ""licensed"" plumbers"`
        : roll < 0.3
          ? targets[target]!.replace('.com', '')
          : ANCHORS[Math.floor(random() * ANCHORS.length)]!;
    const nofollow = random() < 0.3 ? 'true' : 'false';
    const dates = day(random);
    chunk += `${sourceUrl},${targetUrl},${anchor},${nofollow},${dates.first},${dates.last}\n`;
    if (chunk.length > 1 << 20) {
      await write(links, chunk);
      chunk = '';
    }
  }
  await write(links, chunk);
  await finish(links);

  const domainsFile = join(dir, 'domains.csv');
  const domains = createWriteStream(domainsFile);
  await write(domains, 'domain,authority,spam_score,backlinks,referring_domains\n');
  chunk = '';
  for (let index = 0; index < referringCount; index++) {
    if (random() < 0.08) continue; // unknown authority
    const authority = Math.max(1, Math.min(100, Math.round(95 - Math.log2(index + 1) * 5 + (random() - 0.5) * 10)));
    const spam = Math.round(random() ** 3 * 90);
    const backlinks = Math.round(authority ** 3 * (1 + random()));
    chunk += `${referring[index]},${authority},${spam},${backlinks},${Math.round(backlinks / 12) + 1}\n`;
    if (chunk.length > 1 << 20) {
      await write(domains, chunk);
      chunk = '';
    }
  }
  await write(domains, chunk);
  await finish(domains);

  return { linksFile, domainsFile, largestTarget: targets[0]!, targets };
}
