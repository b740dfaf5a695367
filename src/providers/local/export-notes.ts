// What an answer says about the exports behind it: each file's export date (from its name, its
// latest last-seen date or its modification time), warnings for a file that looks truncated, is
// stale or had rows skipped, and the notes naming the files an answer used and those not read.

import { dateInName } from './export-files.js';
import { ROW_CAPS, STALE_DAYS } from './export-kinds.js';
import type { ExportLoad, ExportSource } from './exports.js';

const DAY_MS = 86_400_000;

/** Export date, and warnings for a probably truncated, stale or partly unreadable file. */
export function finishSource(source: ExportSource, file: { name: string; bundle: string; modified: Date }, latest: string, now: Date): void {
  const named = dateInName(file.name) ?? dateInName(file.bundle);
  if (named !== undefined) {
    source.date = named;
    source.dateFrom = 'file name';
  } else if (latest !== '') {
    source.date = latest;
    source.dateFrom = 'latest last-seen date';
  } else {
    source.date = file.modified.toISOString().slice(0, 10);
    source.dateFrom = 'file modified';
  }
  const label = `${source.file} (${source.kind.title})`;
  if (source.kind.shape !== 'ignored' && ROW_CAPS.includes(source.rows)) {
    source.warnings.push(
      `${label} ends at exactly ${source.rows.toLocaleString('en-US')} rows, a typical export row cap: it is probably truncated; export again with a higher row limit, or in parts (by target page or date)`,
    );
  }
  const age = Math.floor((now.getTime() - Date.parse(`${source.date}T00:00:00Z`)) / DAY_MS);
  if (age > STALE_DAYS) {
    source.warnings.push(`${label} is stale: exported ${source.date} (${source.dateFrom}), ${age} days ago; export it again for current links`);
  }
  if (source.skipped > 0) {
    source.warnings.push(`${label}: ${source.skipped} row${source.skipped === 1 ? '' : 's'} skipped, first at ${source.firstSkip}`);
  }
}

/** Notes for an answer about `domains`: the files it used (with export dates) and their warnings. */
export function sourceNotes(load: ExportLoad, domains: readonly string[], owner?: string): string[] {
  const wanted = new Set(domains);
  const used = load.sources.filter(
    (source) =>
      [...source.targets.keys()].some((domain) => wanted.has(domain)) ||
      (owner !== undefined && source.kind.vendor === 'gsc' && load.owners.some((group) => group.files.includes(source.file) && (group.domain === undefined || group.domain === owner))),
  );
  const notes: string[] = [];
  if (used.length > 0) {
    const shown = used.slice(0, 8).map((source) => {
      const noun = source.kind.shape === 'links' ? 'link' : 'domain';
      const count =
        source.kind.shape === 'links' || source.kind.shape === 'domains'
          ? `, ${source.taken.toLocaleString('en-US')} ${noun}${source.taken === 1 ? '' : 's'}`
          : '';
      const date =
        source.dateFrom === 'file name'
          ? `exported ${source.date}`
          : source.dateFrom === 'latest last-seen date'
            ? `links seen up to ${source.date}`
            : `file dated ${source.date}`;
      return `${source.file} (${source.kind.title}, ${date}${count})`;
    });
    const more = used.length > 8 ? `, and ${used.length - 8} more` : '';
    notes.push(`From ${used.length} export file${used.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}.`);
  }
  for (const source of used) notes.push(...source.warnings);
  const assumed = [...new Set(used.filter((source) => !source.kind.verified).map((source) => source.kind.title))];
  if (assumed.length > 0) {
    notes.push(`No public spec was found for the layout of ${assumed.join(', ')}: columns were matched by header name; check those figures.`);
  }
  if (owner !== undefined) {
    for (const group of load.owners) {
      if (group.domain === undefined) {
        notes.push(`${group.files.join(', ')} (Search Console) names no site of its own; taken as ${owner}'s, so its ${group.sources.size} linking domains are left out.`);
      }
    }
  }
  for (const failure of load.failures) notes.push(`Not read: ${failure.file}: ${failure.message}.`);
  return notes;
}
