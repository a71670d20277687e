import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './destination-guard';

export interface WebhookResponse {
  readonly status: number;
}

/** Longest response body read (and ignored): a receiver cannot make us buffer megabytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** POSTs the body to the URL, connecting only to the given addresses, and gives up after timeoutMs. */
export function postWebhook(
  url: URL,
  addresses: readonly ResolvedAddress[],
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<WebhookResponse> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) {
      callback(null, addresses.map((entry) => ({ address: entry.address, family: entry.family })));
    } else {
      const first = addresses[0];
      if (first === undefined) callback(new Error(`no address for ${url.hostname}`), '', 4);
      else callback(null, first.address, first.family);
    }
  };
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
    lookup: pinned,
    // Each attempt on its own connection: nothing of a refused or slow receiver carries over.
    agent: false,
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookResponse>((resolve, reject) => {
    const request = send(url, options, (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) response.destroy();
      });
      response.on('close', () => resolve({ status: response.statusCode ?? 0 }));
      response.on('error', () => resolve({ status: response.statusCode ?? 0 }));
    });
    // A whole-request deadline: a receiver that trickles bytes must not hold the slot.
    const timer = setTimeout(() => request.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('error', reject);
    request.end(body);
  });
}
