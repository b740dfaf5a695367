// Renders rows as the one table (terminal and BENCHMARKS.md), with the machine, the date and the notes.

import { cpus, release, totalmem } from 'node:os';
import { type Row, ratioOf, verdictOf } from './shared.js';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  node: string;
  os: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
  };
}

function number(value: number, integer = false): string {
  if (integer || Number.isInteger(value)) return Math.round(value).toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 0.1) return value.toFixed(2);
  return value.toFixed(3);
}

function measure(row: Row, which: 'ours' | 'peer'): string {
  const value = row[which];
  if (!value) return '—';
  const unit = row.unit === '%' ? '%' : ` ${row.unit}`;
  const head = `${number(value.median, row.integer)}${unit}`;
  if (which === 'ours' && row.tally !== undefined) return `${head} (${row.tally})`;
  if (value.runs <= 1 || value.min === value.max) return head;
  return `${head} (${number(value.min, row.integer)}–${number(value.max, row.integer)})`;
}

function targetText(row: Row): string {
  const parts: string[] = [];
  if (row.target !== undefined) {
    const unit = row.unit === '%' ? '%' : ` ${row.unit}`;
    parts.push(`${row.direction === 'at_least' ? '≥' : '≤'} ${number(row.target, row.integer)}${unit}`);
  }
  if (row.ratioTarget !== undefined) parts.push(`≤ ${row.ratioTarget}× peer`);
  return parts.join('; ') || '—';
}

function peerText(row: Row): string {
  if (!row.peer) return '—';
  return `${measure(row, 'peer')} [${row.peer.label}]`;
}

export const HEADER = ['Figure', 'Ours median (min–max)', 'Peer', 'Ratio', 'Target', 'Result'];

export function tableLines(rows: Row[]): string[][] {
  return rows.map((row) => {
    const ratio = ratioOf(row);
    const verdict = verdictOf(row);
    return [
      row.figure,
      row.missing !== undefined ? 'not measured' : (row.shown?.ours ?? measure(row, 'ours')),
      row.shown?.peer ?? peerText(row),
      row.shown?.ratio ?? (ratio === undefined ? '—' : `${number(ratio)}×`),
      row.shown?.target ?? targetText(row),
      verdict,
    ];
  });
}

export function markdownTable(rows: Row[]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [HEADER, HEADER.map(() => '---'), ...tableLines(rows)];
  return lines.map((cells) => `| ${cells.map(escapeCell).join(' | ')} |`).join('\n');
}

/** A fixed-width table for the terminal. */
export function terminalTable(rows: Row[]): string {
  const lines = [HEADER, ...tableLines(rows)];
  const widths = HEADER.map((_, column) => Math.max(...lines.map((cells) => cells[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [format(lines[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.slice(1).map(format)].join('\n');
}

/** One line per missed or unmeasured figure: why, and what would close it. */
export function notes(rows: Row[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const verdict = verdictOf(row);
    if (verdict === 'not measured') {
      out.push(`- **${row.figure}**: not measured — ${row.missing ?? 'no peer figure to compare'}.`);
    } else if (verdict === 'MISS') {
      const ratio = ratioOf(row);
      const against = [
        row.target !== undefined ? `target ${row.shown?.target ?? targetText({ ...row, ratioTarget: undefined } as Row)}` : undefined,
        row.ratioTarget !== undefined && ratio !== undefined ? `ratio ${number(ratio)}× against ≤ ${row.ratioTarget}×` : undefined,
        row.requirement && !row.requirement.met ? `not met: ${row.requirement.text}` : undefined,
      ]
        .filter(Boolean)
        .join(', ');
      out.push(`- **${row.figure}**: missed (${row.shown?.ours ?? measure(row, 'ours')}; ${against}). ${row.missNote ?? 'No explanation recorded.'}`);
    }
  }
  return out;
}

export function details(rows: Row[]): string[] {
  return rows.filter((row) => row.note !== undefined).map((row) => `- ${row.figure}: ${row.note}`);
}
