/**
 * The one error the CAP reader and writer throw. Parsers throw nothing else (no RangeError from a
 * buffer read, no fflate message), so the card, the issuer server and the CLI can report any bad
 * CAP file without guessing.
 *
 * - NOT_A_ZIP: the bytes are not a ZIP archive.
 * - TRUNCATED: the archive or a component ends before its structure does (a size field promises
 *   more bytes than are present, or a count runs past the end).
 * - MISSING_COMPONENT: a required component, or one the Header flags announce, is absent.
 * - DUPLICATE_COMPONENT: the same component appears twice in the archive.
 * - BAD_COMPONENT: a component's tag, size or content breaks its JCVM structure (extra bytes,
 *   AID length outside 5..16, zero applets…).
 * - BAD_MAGIC: the Header does not start with DECAFFED.
 * - BAD_ARGUMENT: a caller's option is out of range (buildCap, buildLoadFile).
 */
export type CapErrorCode =
  | 'NOT_A_ZIP'
  | 'MISSING_COMPONENT'
  | 'BAD_COMPONENT'
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'DUPLICATE_COMPONENT'
  | 'BAD_ARGUMENT';

export class CapError extends Error {
  override readonly name = 'CapError';
  readonly code: CapErrorCode;
  /** Component name as in the CAP entry (`'Header'`, `'Applet'`…), when the problem is inside one. */
  readonly component?: string;
  /** Byte offset inside the component (tag byte = 0), when known. */
  readonly offset?: number;

  constructor(code: CapErrorCode, message: string, where: { component?: string; offset?: number } = {}) {
    const prefix = where.component === undefined ? '' : `${where.component}.cap: `;
    const suffix = where.offset === undefined ? '' : ` (offset ${where.offset})`;
    super(`${prefix}${message}${suffix}`);
    this.code = code;
    if (where.component !== undefined) this.component = where.component;
    if (where.offset !== undefined) this.offset = where.offset;
  }
}
