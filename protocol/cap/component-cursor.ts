import { readU16 } from '../bytes.ts';
import { CapError } from './cap-error.ts';

/**
 * Bounds-checked reader over one component's bytes (tag at offset 0). Every read past the end
 * throws CapError TRUNCATED naming the component and the offset, so parsers never index blindly.
 */
export class ComponentCursor {
  offset: number;

  constructor(
    readonly component: string,
    readonly bytes: Uint8Array,
    start = 3,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.length) {
      throw new CapError('TRUNCATED', `${what} needs ${n} bytes, ${this.remaining} left`, { component: this.component, offset: this.offset });
    }
  }

  u1(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++]!;
  }

  u2(what: string): number {
    this.need(2, what);
    const v = readU16(this.bytes, this.offset);
    this.offset += 2;
    return v;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** An AID as `length(1) | AID`, with the length checked against ISO 7816-5's 5..16 bytes. */
  aid(what: string): Uint8Array {
    const at = this.offset;
    const length = this.u1(`${what} length`);
    if (length < 5 || length > 16) throw new CapError('BAD_COMPONENT', `${what} length ${length} is outside 5..16`, { component: this.component, offset: at });
    return this.take(length, what);
  }

  /** Refuses bytes left over after the structure ended. */
  end(): void {
    if (this.remaining !== 0) throw new CapError('BAD_COMPONENT', `${this.remaining} bytes follow the end of the structure`, { component: this.component, offset: this.offset });
  }
}
