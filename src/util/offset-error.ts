/**
 * The shape both bounded binary readers (`util/der.ts`, `sgx/quote.ts`) throw: a message that ends with
 * where in the buffer the problem was found, and that position as `offset`. Each reader subclasses it so
 * callers can still tell a DER failure from a quote-layout failure and give each its own stable code.
 */
export class OffsetError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.offset = offset;
  }
}
