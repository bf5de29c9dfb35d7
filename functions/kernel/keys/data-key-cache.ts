import { createHash } from 'node:crypto';

export interface DataKeyCacheOptions {
  /** Bound on unwrapped keys held per instance. @default 1000 */
  readonly maxEntries?: number;
  /** How long an unwrapped key is kept. @default 5 minutes */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Unwrapped keys held per instance, so that steady-state reads cost no KMS call: a bounded LRU with
 * a TTL, of raw data keys or of what a caller derives from one (an open organization key). Callers
 * key entries by what they unwrapped (`cacheKeyOf`): a key re-created under the same name is a
 * different entry, and a wrapped key that is gone is never looked up.
 */
export class DataKeyCache<T = Uint8Array> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { material: Promise<T>; until: number }>();

  constructor(options: DataKeyCacheOptions = {}) {
    this.#max = options.maxEntries ?? 1000;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#now = options.now ?? (() => Date.now());
  }

  /** The key cached under `cacheKey`, or the result of `unwrap` (one call however many wait for it). */
  get(cacheKey: string, unwrap: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(cacheKey);
    if (hit && hit.until > this.#now()) {
      this.#entries.delete(cacheKey);
      this.#entries.set(cacheKey, hit); // most recently used last
      return hit.material;
    }
    if (hit) this.#entries.delete(cacheKey);
    const material = unwrap();
    this.#entries.set(cacheKey, { material, until: this.#now() + this.#ttlMs });
    material.catch(() => this.#entries.delete(cacheKey));
    // Evicted keys are only dropped, not zeroed: a caller may still be using one.
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return material;
  }

  /** Drops every key cached under a name starting with `prefix` (after its owner is deleted), zeroing raw ones. */
  forget(prefix: string): void {
    for (const [cacheKey, entry] of this.#entries) {
      if (!cacheKey.startsWith(prefix)) continue;
      this.#entries.delete(cacheKey);
      entry.material.then((m) => m instanceof Uint8Array && m.fill(0)).catch(() => undefined);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A cache key for a wrapped key: its owner's name and the SHA-256 of the blob. */
export const cacheKeyOf = (owner: string, wrapped: string): string => `${owner}/${createHash('sha256').update(wrapped).digest('base64url')}`;
