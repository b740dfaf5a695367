// The files of a folder of exports as downloaded: which ones to read (ZIP entries included,
// spreadsheets refused with what to do), their header line and separator, and what their names
// say (the export date; the target of a referring-domains export).

import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { unzipSync } from 'fflate';
import { parse as parseDomain } from 'tldts';

/** Extensions looked at in a folder; anything else is ignored (a README, a screenshot). */
const DATA_EXTENSIONS = new Set(['.csv', '.tsv', '.txt', '.zip', '.jsonl', '.ndjson']);
const SPREADSHEET_EXTENSIONS = new Set(['.xlsx', '.xls', '.ods', '.numbers']);
export const HEAD_BYTES = 64 * 1024;

export interface Candidate {
  /** For messages and answers. */
  name: string;
  /** Reads the whole file's bytes. */
  bytes: () => Promise<Uint8Array>;
  head: Uint8Array;
  /** Bytes in the whole file. */
  size: number;
  modified: Date;
  /** Search Console files in one ZIP (or loose in the folder) describe one site. */
  bundle: string;
}

export interface ExportFailure {
  file: string;
  message: string;
}

/** The data files of a folder (top level), ZIP entries included. Failures are reported, not thrown. */
export async function candidates(folder: string, failures: ExportFailure[], only?: string): Promise<Candidate[]> {
  const entries = (await readdir(folder, { withFileTypes: true })).filter(
    (entry) => entry.isFile() && (only === undefined ? !entry.name.startsWith('.') : entry.name === only),
  );
  entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  const found: Candidate[] = [];
  for (const entry of entries) {
    const path = join(folder, entry.name);
    const name = relative(folder, path);
    const extension = extname(entry.name).toLowerCase();
    if (SPREADSHEET_EXTENSIONS.has(extension)) {
      failures.push({ file: name, message: 'a spreadsheet, not a CSV; export it again as CSV (or save it as CSV) into this folder' });
      continue;
    }
    if (!DATA_EXTENSIONS.has(extension)) continue;
    const info = await stat(path);
    if (extension === '.zip') {
      let files: Record<string, Uint8Array>;
      try {
        files = unzipSync(await readFile(path));
      } catch (error) {
        failures.push({ file: name, message: `not a readable ZIP (${(error as Error).message}); download it again, or unzip it into this folder` });
        continue;
      }
      for (const [inner, data] of Object.entries(files).sort(([left], [right]) => (left < right ? -1 : 1))) {
        if (inner.endsWith('/') || basename(inner).startsWith('.') || !DATA_EXTENSIONS.has(extname(inner).toLowerCase())) continue;
        found.push({ name: `${name}/${inner}`, bytes: async () => data, head: data.subarray(0, HEAD_BYTES), size: data.length, modified: info.mtime, bundle: name });
      }
      continue;
    }
    // Only the head is read now (for the header); the whole file when its turn comes, so a folder
    // of large exports is never in memory at once.
    const handle = await open(path, 'r');
    const head = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
    try {
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
    found.push({ name, bytes: () => readFile(path), head, size: info.size, modified: info.mtime, bundle: folder });
  }
  return found;
}

/** The separator of a header line: whichever of tab, semicolon and comma occurs most outside quotes. */
export function sniffDelimiter(line: string): ',' | '\t' | ';' {
  const counts = new Map<',' | '\t' | ';', number>([
    [',', 0],
    ['\t', 0],
    [';', 0],
  ]);
  let quoted = false;
  for (const character of line) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && counts.has(character as ',')) counts.set(character as ',', counts.get(character as ',')! + 1);
  }
  let best: ',' | '\t' | ';' = ',';
  for (const [delimiter, count] of counts) if (count > counts.get(best)!) best = delimiter;
  return best;
}

/** First line of a text (and the line after an Excel `sep=` line), with the separator it declares. */
export function headerLine(text: string): { line: string; skip: number; delimiter?: string } {
  const end = text.search(/\r?\n/);
  const first = end === -1 ? text : text.slice(0, end);
  const declared = /^"?sep=(.)"?$/i.exec(first.trim());
  if (declared === null) return { line: first, skip: 0 };
  const rest = text.slice(end + 1);
  const next = rest.search(/\r?\n/);
  return { line: next === -1 ? rest : rest.slice(0, next), skip: 1, delimiter: declared[1] };
}

/** Cells of a header line (quotes removed), for recognising its kind. */
export function splitHeader(line: string): string[] {
  const delimiter = sniffDelimiter(line);
  const cells: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const character = line[index]!;
    if (character === '"') {
      if (quoted && line[index + 1] === '"') {
        current += '"';
        index++;
      } else quoted = !quoted;
    } else if (character === delimiter && !quoted) {
      cells.push(current);
      current = '';
    } else current += character;
  }
  cells.push(current);
  return cells;
}

/** The target domain a referring-domains export is named after (Ahrefs and Semrush name them so). */
export function domainInName(name: string): string | undefined {
  const stem = basename(name).replace(/\.[a-z0-9]+$/i, '');
  for (const token of stem.toLowerCase().split(/[_\s()[\]]+/)) {
    // "rival.com-refdomains-subdomains": the longest prefix ending at a hyphen that is a public domain.
    const cuts = [token.length, ...[...token.matchAll(/-/g)].map((match) => match.index).reverse()];
    for (const cut of cuts) {
      const candidate = token.slice(0, cut).replace(/^www\./, '');
      if (!candidate.includes('.')) continue;
      const parsed = parseDomain(candidate, { allowPrivateDomains: true });
      if (parsed.domain !== null && (parsed.isIcann || parsed.isPrivate) && parsed.hostname === candidate) return parsed.domain;
    }
  }
  return undefined;
}

export function dateInName(name: string): string | undefined {
  const match = /(20\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])/.exec(basename(name));
  return match === null ? undefined : `${match[1]}-${match[2]}-${match[3]}`;
}

/** Rows a file probably holds, from the line lengths of its head (tables are sized once from it). */
export function expectedRows(candidate: Candidate): number {
  const head = candidate.head;
  let lines = 0;
  for (let index = head.indexOf(10); index !== -1; index = head.indexOf(10, index + 1)) lines++;
  if (head.length >= candidate.size) return lines + 1;
  return Math.ceil((candidate.size / Math.max(1, head.length)) * Math.max(1, lines));
}
