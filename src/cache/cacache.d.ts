// Types for the part of cacache (npm's content-addressed cache) this package uses; it ships none.

declare module 'cacache' {
  namespace cacache {
    interface EntryInfo {
      key: string;
      integrity: string;
      path: string;
      size: number;
      time: number;
      metadata?: unknown;
    }
    interface PutOptions {
      metadata?: unknown;
      /** Entry time in epoch ms; defaults to Date.now(). */
      time?: number;
      memoize?: boolean;
      /** Integrity hash algorithms; cacache defaults to ['sha512']. */
      algorithms?: string[];
    }
    function put(cache: string, key: string, data: Buffer | string, options?: PutOptions): Promise<string>;
    function ls(cache: string): Promise<Record<string, EntryInfo>>;
    function verify(cache: string): Promise<{ reclaimedCount: number; reclaimedSize: number; totalEntries: number }>;
    namespace verify {
      /** When verify last ran on this cache (it records the time on disk); rejects when it never ran. */
      function lastRun(cache: string): Promise<Date>;
    }
    namespace get {
      function info(cache: string, key: string): Promise<EntryInfo | null>;
      function byDigest(cache: string, integrity: string, options?: { size?: number; memoize?: boolean }): Promise<Buffer>;
    }
    function get(
      cache: string,
      key: string,
      options?: { memoize?: boolean },
    ): Promise<{ data: Buffer; metadata?: unknown; integrity: string; size: number }>;
    namespace rm {
      function entry(cache: string, key: string, options?: { removeFully?: boolean }): Promise<unknown>;
      function content(cache: string, integrity: string): Promise<unknown>;
    }
  }
  export = cacache;
}
