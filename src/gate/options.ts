import { AttestationError } from '../errors.js';
import { refuseRenamed } from '../util/renamed.js';
import type { BindingOptions } from '../verify/bind.js';
import type { ReplayStore } from '../verify/replay-store.js';
import type { CompiledPolicy } from '../policy/index.js';
import { REQUEST_COMPONENTS } from '../possession/signature-base.js';
import { checkSignatureOptions } from '../possession/verify-request.js';
import { checkedPolicy } from '../verify/options.js';
import type { Verifier } from '../verify/verifier.js';
import { DEFAULT_REALM, DEFAULT_RETRY_AFTER_SECONDS, isRetryAfter, isToken68 } from './respond.js';
import type { PossessionOptions, RefusalListener, RequestGateOptions, TokenSources } from './types.js';

/** The gate's options once validated: every mistake was an ERR_CONFIG_INVALID at construction. */
export interface ResolvedGateOptions {
  readonly verifier: Verifier;
  readonly policy: CompiledPolicy;
  readonly sources: TokenSources;
  readonly required: boolean;
  readonly realm: string;
  readonly retryAfterSeconds: number;
  readonly binding: BindingOptions | undefined;
  readonly singleUse: ReplayStore | undefined;
  readonly possession: ResolvedPossession | undefined;
  readonly onRefusal: RefusalListener | undefined;
}

export interface ResolvedPossession {
  readonly authority: string | undefined;
  /** The options `checkRequestSignature` gets, before the token's carrier is added. */
  readonly signature: PossessionOptions;
}

/** RFC 9110 field-name, lower-case: a header the token may travel in. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]{1,64}$/;
/** RFC 6265 cookie-name (a token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;

export function invalid(message: string): never {
  throw new AttestationError('ERR_CONFIG_INVALID', message);
}

export function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

export function resolveGateOptions(options: RequestGateOptions, name = 'createRequestGate'): ResolvedGateOptions {
  if (!isObject(options)) invalid(`${name} needs { verifier, policy }`);
  const { verifier } = options;
  if (
    !isObject(verifier) ||
    typeof verifier.verify !== 'function' ||
    typeof verifier.verifyCached !== 'function' ||
    typeof verifier.consume !== 'function' ||
    !(Array.isArray(verifier.issuers) || verifier.issuers === undefined)
  ) {
    invalid(`${name} needs { verifier, policy }: a verifier from createVerifier`);
  }
  if (options.policy === undefined) invalid(`${name} needs a policy: which enclaves may pass`);
  // An invalid policy, or one naming issuers the verifier does not trust, fails at start-up.
  const policy = checkedPolicy(options.policy, verifier.issuers);

  const sources = resolveSources(options.token);
  if (options.required !== undefined && typeof options.required !== 'boolean') invalid('required must be a boolean');
  const realm = options.realm ?? DEFAULT_REALM;
  if (!isToken68(realm)) invalid('realm must be 1 to 256 token68 characters (A-Z a-z 0-9 - . _ ~ + /, then "=" padding)');
  refuseRenamed(options, { retryAfter: 'retryAfterSeconds' }, `${name} option`);
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (!isRetryAfter(retryAfterSeconds)) invalid('retryAfterSeconds must be a non-negative integer number of seconds');
  if (options.onRefusal !== undefined && typeof options.onRefusal !== 'function') invalid('onRefusal must be a function');

  const { binding, singleUse } = options;
  if (binding !== undefined) {
    if (!isObject(binding) || !isObject(binding.challenges) || typeof binding.challenges.consume !== 'function')
      invalid('binding must be { challenges } with a challenge store from createChallengeStore');
    if (binding.nonceField !== undefined && (typeof binding.nonceField !== 'string' || binding.nonceField === ''))
      invalid('binding.nonceField must be a non-empty string');
  }
  if (singleUse !== undefined && (!isObject(singleUse) || typeof singleUse.once !== 'function'))
    invalid('singleUse must be a ReplayStore (createMemoryReplayStore, createRedisReplayStore)');

  return {
    verifier,
    policy,
    sources,
    required: options.required !== false,
    realm,
    retryAfterSeconds,
    binding,
    singleUse,
    possession: resolvePossession(options.possession, sources),
    onRefusal: options.onRefusal,
  };
}

function resolveSources(token: TokenSources | undefined): TokenSources {
  if (token === undefined) return {};
  if (!isObject(token)) invalid('token must be { bearer?, header?, cookie?, query?, from? }');
  const { bearer, header, cookie, query, from } = token;
  if (bearer !== undefined && typeof bearer !== 'boolean') invalid('token.bearer must be a boolean');
  if (header !== undefined && (typeof header !== 'string' || !FIELD_NAME.test(header.toLowerCase())))
    invalid('token.header must be a header name');
  if (header !== undefined && header.toLowerCase() === 'authorization') invalid('token.header cannot be authorization: use token.bearer');
  if (cookie !== undefined && (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie))) invalid('token.cookie must be a cookie name');
  if (query !== undefined && (typeof query !== 'string' || query === '' || query.length > 256))
    invalid('token.query must be a query parameter name');
  if (from !== undefined && typeof from !== 'function') invalid('token.from must be a function');
  if (bearer === false && header === undefined && cookie === undefined && query === undefined && from === undefined) {
    invalid('token names no place to look for the token');
  }
  return { bearer, header: header?.toLowerCase(), cookie, query, from };
}

function resolvePossession(possession: PossessionOptions | undefined, sources: TokenSources): ResolvedPossession | undefined {
  if (possession === undefined) return undefined;
  if (!isObject(possession)) invalid('possession must be an object of request-signature options');
  const { authority, ...signature } = possession;
  if (authority !== undefined && (typeof authority !== 'string' || authority === '')) {
    invalid('possession.authority must be the host[:port] clients address this service by');
  }
  if ('tokenComponent' in signature) invalid('possession.tokenComponent is set by the gate from where it finds the token');
  // The signature must cover the field that carried the token; a custom extractor's field is unknown.
  if (sources.from !== undefined)
    invalid('possession cannot be used with token.from: the gate could not tell which field the signature must cover');
  const resolved: PossessionOptions = { ...signature, requiredComponents: signature.requiredComponents ?? REQUEST_COMPONENTS };
  checkSignatureOptions(resolved);
  return { authority, signature: resolved };
}
