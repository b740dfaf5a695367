// The tracked results (bench/results.json: one entry per group with its rows, date and machine) and
// BENCHMARKS.md rendered from them. A run replaces only the groups it ran; the prose of BENCHMARKS.md
// outside the `<!-- bench:NAME -->` … `<!-- /bench:NAME -->` blocks is kept as written.

import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { details, type Machine, machine, markdownTable, notes } from './report.js';
import type { Row } from './shared.js';

/** One group's last figures: what `npm run bench -- GROUP` replaces whole. */
export interface GroupResult {
  group: string;
  /** ISO time the group was measured. */
  measuredAt: string;
  /** The machine it ran on, as one line (cores, CPU, memory, OS, Node, load at start). */
  machine: string;
  /** How the rows were made, when not by a plain run (by hand, from which script, machine shared…). */
  note?: string;
  rows: Row[];
}

export interface Results {
  groups: GroupResult[];
}

export function machineLine(host: Machine = machine(), load = loadavg()[0] ?? 0): string {
  return `${host.cores} cores, ${host.cpu}, ${host.memoryGb} GB memory, ${host.os}, Node ${host.node}; load average ${load.toFixed(1)} at start`;
}

export function readResults(path: string): Results {
  if (!existsSync(path)) return { groups: [] };
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Results;
  if (!Array.isArray(parsed.groups)) throw new Error(`${path}: no "groups" array`);
  return parsed;
}

export function resultsJson(results: Results): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}

/**
 * The previous results with each fresh group replacing its namesake in place; a group never recorded
 * before goes after the last recorded group that precedes it in `order` (the harness's group order).
 * Groups not in `order` (recorded by hand) keep their place.
 */
export function mergeResults(previous: Results, fresh: GroupResult[], order: string[]): Results {
  const groups = [...previous.groups];
  for (const entry of fresh) {
    const at = groups.findIndex((existing) => existing.group === entry.group);
    if (at >= 0) {
      groups[at] = entry;
      continue;
    }
    const rank = order.indexOf(entry.group);
    let after = -1;
    groups.forEach((existing, index) => {
      const existingRank = order.indexOf(existing.group);
      if (existingRank >= 0 && existingRank < rank) after = index;
    });
    const before = groups.findIndex((existing) => order.indexOf(existing.group) > rank);
    const position = after >= 0 ? after + 1 : before >= 0 && rank >= 0 ? before : groups.length;
    groups.splice(position, 0, entry);
  }
  return { groups };
}

/** Which groups were measured when and where: one line per distinct date, machine and note. */
function measuredLines(results: Results): string[] {
  const lines = new Map<string, string[]>();
  for (const entry of results.groups) {
    const key = `${entry.measuredAt}${entry.note ? `, ${entry.note}` : ''}. Machine: ${entry.machine}`;
    lines.set(key, [...(lines.get(key) ?? []), entry.group]);
  }
  return ['When and where each group was measured:', ...[...lines].map(([key, groups]) => `- ${groups.join(', ')}: ${key}`)];
}

const allRows = (results: Results) => results.groups.flatMap((entry) => entry.rows);

/** The generated blocks of BENCHMARKS.md, by name. */
export function blocks(results: Results): Record<string, string> {
  const missed = notes(allRows(results));
  return {
    table: [...measuredLines(results), '', markdownTable(allRows(results))].join('\n'),
    notes: (missed.length > 0 ? missed : ['- Every measured figure met its target.']).join('\n'),
    details: details(allRows(results)).join('\n'),
  };
}

const lines = (body: string) => (body === '' ? '' : `${body}\n`);
const open = (name: string) => `<!-- bench:${name} -->`;
const close = (name: string) => `<!-- /bench:${name} -->`;

/** A new BENCHMARKS.md: the intro and section headings around the generated blocks. */
function skeleton(names: string[]): string {
  const sections: Record<string, string> = { table: '', notes: '## Notes\n\n', details: '## Details\n\n' };
  return [
    '# Benchmarks',
    '',
    'The tables and the notes on missed targets between `<!-- bench:… -->` markers are rendered by `npm run bench`',
    '(bench/run.ts) from bench/results.json; everything outside the markers is written by hand and kept.',
    '',
    ...names.map((name) => `${sections[name] ?? `## ${name}\n\n`}${open(name)}\n${close(name)}\n`),
  ].join('\n');
}

/**
 * BENCHMARKS.md with every generated block rendered from `results`, and everything outside the blocks
 * as it was in `existing`. A block missing from `existing` is added at the end.
 */
export function renderBenchmarks(existing: string | undefined, results: Results): string {
  const rendered = blocks(results);
  let text = existing ?? skeleton(Object.keys(rendered));
  for (const [name, body] of Object.entries(rendered)) {
    const start = text.indexOf(open(name));
    const end = text.indexOf(close(name));
    if (start < 0 || end < start) {
      text = `${text.trimEnd()}\n\n${open(name)}\n${lines(body)}${close(name)}\n`;
      continue;
    }
    text = `${text.slice(0, start)}${open(name)}\n${lines(body)}${text.slice(end)}`;
  }
  return text;
}
