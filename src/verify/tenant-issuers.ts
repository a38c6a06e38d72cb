/**
 * Issuers resolved at run time, for relying parties that trust each tenant's own MAA instance: the
 * verifier asks your resolver about a token's `iss` and keeps the answer, and the issuer's key cache,
 * for later tokens.
 */
import { LRUCache } from 'lru-cache';
import { AttestationError, quote } from '../errors.js';
import type { KeySource } from '../keys/signing-key.js';
import { identityOf } from '../util/identity.js';
import { normalizeIssuer } from '../util/issuer-url.js';
import { type IssuerConfig, type IssuerResolver, resolveIssuerEntry, type ResolvedIssuer } from './options.js';

/** The key sources a verifier looks issuers up in: a fixed map, or the run-time registry below. */
export interface IssuerSources {
  /** The source for a token's `iss`; undefined when untrusted. A promise only while a resolver is asked. */
  get(issuer: string): KeySource | undefined | Promise<KeySource | undefined>;
  /** Every source held now (warm-up, key status). */
  values(): Iterable<KeySource>;
  /**
   * For a token cache hit: whether the issuer is still trusted, with the very key source the entry was
   * verified with, without asking again. Absent for a fixed list, which never changes. False (the answer
   * aged out, or the resolver now answers differently: another key set, a signer pin) sends the token
   * down the full path, which asks the resolver again.
   */
  trusts?(issuer: string, source: KeySource): boolean;
}

export interface TenantIssuersOptions {
  readonly resolver: IssuerResolver;
  readonly allowInsecureLoopback: boolean;
  /** Issuers kept at once, with their key caches; the least recently used goes first. */
  readonly maxIssuers: number;
  /** How long an answer (trusted or not) is kept before the resolver is asked again, in milliseconds. */
  readonly maxAgeMs: number;
  /** Bound on one resolver call, in milliseconds. */
  readonly timeoutMs: number;
  /** The clock answers age by, in milliseconds. */
  readonly now: () => number;
  /** Builds an issuer's key source (remote or pinned), as for a static issuer. */
  readonly createSource: (entry: ResolvedIssuer) => KeySource;
}

/** Longest `iss` handed to a resolver: MAA issuers are short URLs; longer input is refused unread. */
const MAX_ISSUER_LENGTH = 512;

interface Answer {
  /** The key source of a trusted issuer, or null for an issuer the resolver refused. */
  readonly source: KeySource | null;
  /** The configuration it was built from, to keep the key cache when a later answer is the same. */
  readonly fingerprint: string | null;
}

/**
 * Resolver answers in an lru-cache bounded by `maxIssuers` and aged by `maxAgeMs`, negative ones
 * included, so a flood of made-up issuers costs at most one resolver call per issuer per `maxAgeMs` and
 * never more than `maxIssuers` entries. Concurrent tokens from one new issuer share one call (lru-cache's
 * fetchMethod is single flight). When an answer ages out and the resolver says the same again, the
 * issuer keeps its key cache instead of fetching its keys anew.
 */
export class TenantIssuers implements IssuerSources {
  readonly #options: TenantIssuersOptions;
  readonly #answers: LRUCache<string, Answer>;

  constructor(options: TenantIssuersOptions) {
    this.#options = options;
    this.#answers = new LRUCache<string, Answer>({
      max: options.maxIssuers,
      ttl: options.maxAgeMs,
      ttlResolution: 0,
      perf: { now: options.now },
      // An aged answer is not served while the resolver is asked again: a tenant removed from the
      // resolver must stop being trusted, not linger for one more call.
      allowStale: false,
      // …but kept until then, so that the resolver's same answer keeps the issuer's key cache.
      noDeleteOnStaleGet: true,
      noDeleteOnFetchRejection: true,
      fetchMethod: (issuer, stale) => this.#resolve(issuer, stale),
    });
  }

  get(issuer: string): KeySource | undefined | Promise<KeySource | undefined> {
    const known = this.#answers.get(issuer);
    if (known !== undefined) return known.source ?? undefined;
    if (!this.#askable(issuer)) return undefined;
    return this.#answers.fetch(issuer).then((answer) => answer?.source ?? undefined);
  }

  trusts(issuer: string, source: KeySource): boolean {
    return this.#answers.get(issuer)?.source === source;
  }

  *values(): Iterable<KeySource> {
    for (const answer of this.#answers.values()) if (answer.source !== null) yield answer.source;
  }

  /** Only an issuer a configuration could name exactly reaches the resolver: nothing else could match. */
  #askable(issuer: string): boolean {
    if (issuer.length > MAX_ISSUER_LENGTH) return false;
    try {
      return normalizeIssuer(issuer, this.#options.allowInsecureLoopback) === issuer;
    } catch {
      return false;
    }
  }

  async #resolve(issuer: string, stale: Answer | undefined): Promise<Answer> {
    const config = await this.#ask(issuer);
    if (config === undefined) return { source: null, fingerprint: null };
    const entry = resolveIssuerEntry(config, this.#options.allowInsecureLoopback);
    // The resolver vouches for this issuer only: an answer naming another is a mistake, refused.
    if (entry.issuer !== issuer) return { source: null, fingerprint: null };
    const fingerprint = fingerprintOf(entry);
    if (stale?.source != null && stale.fingerprint === fingerprint) return stale;
    return { source: this.#options.createSource(entry), fingerprint };
  }

  async #ask(issuer: string): Promise<IssuerConfig | undefined> {
    const { resolver, timeoutMs } = this.#options;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new AttestationError(
            'ERR_METADATA_UNAVAILABLE',
            `the issuer resolver did not answer for ${quote(issuer)} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([Promise.resolve().then(() => resolver(issuer, { signal: controller.signal })), timeout]);
    } catch (error) {
      if (error instanceof AttestationError) throw error;
      // The tenant directory failing is not the token's fault: unavailable (503), and not remembered.
      throw new AttestationError('ERR_METADATA_UNAVAILABLE', `the issuer resolver failed for ${quote(issuer)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What makes two answers the same key source: the pinned JWKS object (by identity) and the signer pin. */
function fingerprintOf(entry: ResolvedIssuer): string {
  const jwks = entry.jwks === undefined ? 'remote' : `pinned:${identityOf(entry.jwks)}`;
  return JSON.stringify([jwks, entry.signer ?? null]);
}
