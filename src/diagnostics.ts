import * as diagnosticsChannel from 'node:diagnostics_channel';
import { printableText } from './errors.js';

/**
 * Observability without a logging dependency: subscribe with `diagnostics_channel.subscribe(name, fn)`.
 * Publishing costs nothing while no one listens (we check `hasSubscribers` before building a message).
 */
export const CHANNELS = {
  /** `{ issuer, kid, reason, step }`: a published key that the verifier will not use; `step` names the failed enclave-quote check, if that was why. */
  keySkipped: 'attestation-gate:keys:skipped',
  /** `{ issuer, url }`: a metadata request is about to be sent. */
  fetchStart: 'attestation-gate:metadata:fetch:start',
  /** `{ issuer, url, status, bytes, durationMs }`: a metadata response was read in full. */
  fetchEnd: 'attestation-gate:metadata:fetch:end',
  /** `{ issuer, url, error, durationMs }`: a metadata request failed (`error` is an AttestationError). */
  fetchError: 'attestation-gate:metadata:fetch:error',
  /** `{ issuer, ageMs, lastError }`: a key set past keysMaxAgeSeconds served while it cannot be refreshed (yet). */
  staleServed: 'attestation-gate:keys:stale-served',
  /** `{ issuer, kid }`: a token named a key its issuer does not publish (yet). `kid` is the token's, so escaped and cut short (see `printable`). */
  unknownKid: 'attestation-gate:keys:unknown-kid',
  /** `{ outcome: 'accepted' | 'rejected', code?, issuer?, attestationType?, durationMs }`. */
  verification: 'attestation-gate:verify',
  /** `{ callback, error }`: a callback you gave (`onRefusal`), or the framework's `next` after the gate, threw or rejected; the outcome was not changed. */
  callbackError: 'attestation-gate:callback:error',
} as const;

const channels = new Map<string, diagnosticsChannel.Channel>(
  Object.values(CHANNELS).map((name) => [name, diagnosticsChannel.channel(name)]),
);

/** The verification channel itself, for the hot path: check `hasSubscribers` inline, allocate nothing otherwise. */
export const verificationChannel = diagnosticsChannel.channel(CHANNELS.verification);

/** Publishes lazily: `message` is only built when someone subscribes. */
export function publish(name: (typeof CHANNELS)[keyof typeof CHANNELS], message: () => object): void {
  const channel = channels.get(name);
  if (channel?.hasSubscribers) channel.publish(message());
}

/**
 * Attacker-controlled text as a diagnostics message carries it: cut to 64 characters (then `…`), every
 * character outside printable ASCII written as `\uXXXX`, so a subscriber can put it in a log line as is
 * (`printableText`: the treatment `quote()` gives error messages, without the quotes).
 */
export function printable(text: unknown): string {
  return printableText(typeof text === 'string' ? text : String(text));
}
