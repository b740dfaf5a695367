// The engine module (this folder) is the only place that speaks SQL or knows a Parquet layout.
// This file opens DuckDB for any layout: loaded on first use (never at start-up), its memory bounded
// by memory_limit and spilling to a temp directory under the cache.

import { mkdirSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBMaterializedResult, DuckDBVector } from '@duckdb/node-api';

export interface DuckDbOptions {
  /** The cache directory; files go under `local/`. */
  cacheDir: string;
  /** DuckDB memory_limit, e.g. "2GB"; default a quarter of the machine. */
  memoryLimit?: string;
}

/** Whether @duckdb/node-api can be loaded here, found without loading it (the Claude Desktop bundle
 *  leaves the native package out). */
export function duckDbInstalled(): boolean {
  try {
    import.meta.resolve('@duckdb/node-api');
    return true;
  } catch {
    return false;
  }
}

/** BACKLINK_GAP_DUCKDB_MEMORY or a quarter of this machine's memory. */
export function memoryLimit(option: string | undefined): string {
  if (option !== undefined && option.trim() !== '') return option.trim();
  return `${Math.max(256, Math.floor(totalmem() / 4 / 1024 / 1024))}MB`;
}

/** A SQL string literal. */
export const sqlText = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** An in-memory DuckDB whose spill files go to `<cache>/local/spill`. */
export async function openDuckDb(options: DuckDbOptions): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const spill = join(options.cacheDir, 'local', 'spill');
  mkdirSync(spill, { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: memoryLimit(options.memoryLimit),
    temp_directory: spill,
    threads: String(Math.max(1, Math.min(4, availableParallelism()))),
  });
  return { instance, connection: await instance.connect() };
}

export async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

/** A column value of `rows`, SQL NULL read as undefined. */
export const optional = <T>(value: unknown): T | undefined => (value === null || value === undefined ? undefined : (value as T));

/** A result's chunks with their row counts, each read once: every getter is a call into the native
 *  binding (reading rowCount in a loop's condition took 300 ms of a 1M-link gap's first call). */
export function chunksOf(result: DuckDBMaterializedResult): Array<{ chunk: DuckDBDataChunk; size: number }> {
  return Array.from({ length: result.chunkCount }, (_, index) => {
    const chunk = result.getChunk(index);
    return { chunk, size: chunk.rowCount };
  });
}

/** An INTEGER vector's `size` values: a view of the Int32Array it holds them in where it has one
 *  (valid while its chunk is), else read item by item. */
export function int32Column(vector: DuckDBVector, size: number): Int32Array {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof Int32Array && items.length === size) return items;
  return Int32Array.from({ length: size }, (_, row) => Number(vector.getItem(row)));
}
