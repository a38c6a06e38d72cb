import { CHANNELS, publish } from '../diagnostics.js';
import { discoverJwksUri } from './discovery.js';
import { fetchJson, type FetchOptions } from './fetch.js';
import { importKeySet } from './import.js';
import { findKey, keyNotFound } from './lookup.js';
import type { KeySet, KeySource, SigningKey } from './signing-key.js';

export interface RemoteKeySourceOptions extends Omit<FetchOptions, 'issuer'> {
  readonly minRsaModulusBits: number;
  /** Least time between two refreshes caused by unknown kids, in milliseconds (the first is immediate). */
  readonly unknownKidRefreshIntervalMs: number;
  /** Clock in milliseconds, injectable for tests. */
  readonly now: () => number;
}

/**
 * An issuer's keys from its metadata endpoints: fetched on first use, kept, and refreshed when a token
 * names a kid the cached set lacks (a rotated key), at most once per interval however many tokens ask.
 * Concurrent callers share one refresh.
 */
export class RemoteKeySource implements KeySource {
  readonly issuer: string;
  readonly #options: RemoteKeySourceOptions;
  #current: KeySet | undefined;
  #inflight: Promise<KeySet> | undefined;
  #lastUnknownKidRefresh = Number.NEGATIVE_INFINITY;

  constructor(issuer: string, options: RemoteKeySourceOptions) {
    this.issuer = issuer;
    this.#options = options;
  }

  async getKey(kid: string): Promise<SigningKey> {
    const cold = this.#current === undefined;
    const set = this.#current ?? (await this.#refresh());
    const key = findKey(set, kid, this.issuer);
    if (key !== undefined) return key;
    publish(CHANNELS.unknownKid, () => ({ issuer: this.issuer, kid }));
    // A set fetched for this very call is as fresh as a refresh would be.
    if (cold) throw keyNotFound(this.issuer);
    const now = this.#options.now();
    if (this.#inflight === undefined && now - this.#lastUnknownKidRefresh < this.#options.unknownKidRefreshIntervalMs) {
      throw keyNotFound(this.issuer);
    }
    if (this.#inflight === undefined) this.#lastUnknownKidRefresh = now;
    const refreshed = findKey(await this.#refresh(), kid, this.issuer);
    if (refreshed === undefined) throw keyNotFound(this.issuer);
    return refreshed;
  }

  #refresh(): Promise<KeySet> {
    this.#inflight ??= this.#load().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #load(): Promise<KeySet> {
    const fetchOptions: FetchOptions = { ...this.#options, issuer: this.issuer };
    const jwksUri = await discoverJwksUri(this.issuer, fetchOptions);
    const set = importKeySet(await fetchJson(jwksUri, fetchOptions), this.issuer, {
      minRsaModulusBits: this.#options.minRsaModulusBits,
      errorCode: 'ERR_METADATA_UNAVAILABLE',
    });
    this.#current = set;
    return set;
  }
}
