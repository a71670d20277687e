import { randomUUID } from 'node:crypto';

// Long enough for any tracing id scheme, short and printable so a hostile
// header cannot flood or forge log lines.
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The caller's X-Request-Id when it is safe to log and echo, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && REQUEST_ID.test(candidate) ? candidate : randomUUID();
}
