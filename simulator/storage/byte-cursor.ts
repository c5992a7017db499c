/** Reads big-endian fields front to back; every read is bounds-checked (the image parser is strict). */

/** A read ran past the end of the bytes; parsers turn it into their own error. */
export class ShortReadError extends Error {
  override readonly name = 'ShortReadError';
}

export class ByteCursor {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  take(length: number): Uint8Array {
    if (length > this.remaining) throw new ShortReadError(`need ${length} bytes at offset ${this.offset}, have ${this.remaining}`);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u32(): number {
    const b = this.take(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }
}
