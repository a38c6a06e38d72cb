import { AttestationError } from '../errors.js';

/**
 * Refuses option names that were renamed when every duration got its unit in its name and every clock
 * became `now: () => number`. No silent aliases: an old name passed in is an ERR_CONFIG_INVALID naming
 * the new one, so an upgrade fails at construction instead of quietly running with a default (a
 * `clockTolerance: 300` ignored would shrink a tolerance tenfold without anyone noticing).
 */
export function refuseRenamed(options: object, renamed: Readonly<Record<string, string>>, where = 'option'): void {
  for (const old of Object.keys(renamed)) {
    if (Object.hasOwn(options, old)) {
      throw new AttestationError('ERR_CONFIG_INVALID', `${where} \`${old}\` was renamed: use \`${renamed[old]}\``);
    }
  }
}

/** The one clock every option takes: milliseconds since the epoch, like `Date.now` (the default). */
export type Clock = () => number;

/** Checks a `now` option and gives its default, `Date.now`. */
export function resolveNow(now: unknown, where = 'now'): Clock {
  if (now === undefined) return Date.now;
  if (typeof now !== 'function') {
    throw new AttestationError('ERR_CONFIG_INVALID', `${where} must be a function returning milliseconds since the epoch`);
  }
  return now as Clock;
}
