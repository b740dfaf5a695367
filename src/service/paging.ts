// Paging: our cursors over cached upstream pages, and the next call that continues an answer.

import { createHash } from 'node:crypto';
import { DEFAULTS } from '../domain.js';
import { invalidInput } from '../errors.js';
import type { NextCall, ProspectsInput } from './types.js';

/** The most rows asked of a provider in one upstream page. */
export const UPSTREAM_PAGE_MAX = 1000;

/** Our cursor over an upstream page: the upstream cursor the page starts at, and rows to skip in it. */
export interface PageCursor {
  u?: string;
  s: number;
  /** Hash of the query the cursor belongs to. */
  q: string;
  /** 0-based position in the whole answer of the first row this cursor serves (rows keep their rank
   *  numbers across pages); absent in the first page's cursor and in cursors made before it existed. */
  b?: number;
}

/** The 0-based position of the first row a cursor serves in the whole answer. */
export const positionOf = (cursor: PageCursor): number => cursor.b ?? (cursor.u === undefined ? cursor.s : 0);

export const hashOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(value: string | undefined, field: string, queryHash: string): PageCursor {
  if (value === undefined || value === '') return { s: 0, q: queryHash };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const cursor = parsed as Partial<PageCursor> | undefined;
  if (
    !cursor ||
    typeof cursor !== 'object' ||
    typeof cursor.s !== 'number' ||
    !Number.isInteger(cursor.s) ||
    cursor.s < 0 ||
    (cursor.u !== undefined && typeof cursor.u !== 'string') ||
    (cursor.b !== undefined && (typeof cursor.b !== 'number' || !Number.isInteger(cursor.b) || cursor.b < 0))
  ) {
    throw invalidInput(field, value, `not a ${field} from an earlier answer; repeat the call without ${field} to start from the first page`);
  }
  if (cursor.q !== queryHash) {
    throw invalidInput(field, value, `belongs to a different query; repeat the call without ${field}, or with the same other arguments as the call that returned it`);
  }
  return { s: cursor.s, q: queryHash, ...(cursor.u !== undefined && { u: cursor.u }), ...(cursor.b !== undefined && { b: cursor.b }) };
}

export function nextCursor(cursor: PageCursor, served: number, pageRows: number, upstreamNext: string | undefined, queryHash: string): string | undefined {
  const end = cursor.s + served;
  const b = positionOf(cursor) + served;
  if (end < pageRows) return encodeCursor({ ...(cursor.u !== undefined && { u: cursor.u }), s: end, q: queryHash, b });
  if (upstreamNext !== undefined) return encodeCursor({ u: upstreamNext, s: 0, q: queryHash, b });
  return undefined;
}

/** The arguments of a call without its position and one-shot flags, for its next call. */
// A next page is a new paid call: a confirmation given for this one does not carry over.
export function withoutPaging<T extends { cursor?: string; next_token?: string; fresh?: boolean; dry_run?: boolean; confirm?: boolean }>(input: T) {
  const { cursor: _c, next_token: _n, fresh: _f, dry_run: _d, confirm: _k, ...rest } = input;
  return rest;
}

/** The list_prospects call that starts at row `start` (0-based) of the filtered run, unless it is past the end. */
export function prospectsFrom(runId: string, input: ProspectsInput, start: number, total: number): NextCall | undefined {
  if (start >= total) return undefined;
  const { run_id: _ignored, page: _page, offset: _offset, ...rest } = input;
  const perPage = input.per_page ?? DEFAULTS.perPage;
  // On a page boundary the plain page number reads better than an offset.
  const position = start % perPage === 0 ? { page: start / perPage + 1 } : { offset: start };
  return { tool: 'list_prospects', arguments: { run_id: runId, ...rest, ...position } };
}

/** The list_prospects call for the rows after this page, and the one for the rows after the first
 *  `served` of it (an answer cut to fit resumes there). */
export function nextPage(
  runId: string,
  input: ProspectsInput,
  meta: { offset: number; per_page: number; total: number },
  shown: number,
): { next_call?: NextCall; resumeAfter: (served: number) => NextCall | undefined } {
  const next = prospectsFrom(runId, input, meta.offset + shown, meta.total);
  return { ...(next !== undefined && { next_call: next }), resumeAfter: (served) => prospectsFrom(runId, input, meta.offset + served, meta.total) };
}
