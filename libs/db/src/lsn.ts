/**
 * PostgreSQL WAL positions (LSNs) as the router handles them.
 *
 * PostgreSQL prints an LSN as two hexadecimal 32-bit halves, `16/B374D848`.
 * The router keeps them as bigint: a 64-bit position does not fit a JS number
 * exactly, and bigint comparison is cheap enough for the read path.
 */

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Parses `16/B374D848`; returns undefined for anything else. */
export function parseLsn(text: string): bigint | undefined {
  const match = LSN_PATTERN.exec(text);
  if (match === null) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Formats like PostgreSQL does (`%X/%X`), so a token reads the same in psql and in headers. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Parses an LSN a server returned; a server never sends a malformed one, so this throws. */
export function lsnFromServer(text: string | null): bigint | null {
  if (text === null) return null;
  const lsn = parseLsn(text);
  if (lsn === undefined) throw new Error(`PostgreSQL returned an unexpected WAL position: ${text}`);
  return lsn;
}

/** Bytes from `behind` to `ahead`, never negative (samples taken a moment apart can cross). */
export function lsnDistance(ahead: bigint, behind: bigint): number {
  return ahead > behind ? Number(ahead - behind) : 0;
}
