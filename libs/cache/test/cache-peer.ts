/**
 * A cache instance in a process of its own, driven by the test over IPC, so that
 * cross-instance behaviour (bus, distributed lock) is tested between real processes.
 * Run with `node --import tsx`; see peer-process.ts for the protocol.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MultiLayerCache } from '../src/multi-layer-cache';
import type { MultiLayerCacheOptions } from '../src/cache-options';
import { quietLogger, wallClockMs } from './cache-test-support';

interface Request {
  id: number;
  op: string;
  key?: string;
  value?: unknown;
  count?: number;
  distributed?: boolean;
  options?: MultiLayerCacheOptions;
}

let cache: MultiLayerCache | undefined;
let loaderCalls = 0;

function send(message: object): void {
  process.send?.(message);
}

function instance(): MultiLayerCache {
  if (cache === undefined) {
    throw new Error('peer not initialised: send {op: "init"} first');
  }
  return cache;
}

async function handle(request: Request): Promise<unknown> {
  const key = request.key ?? '';
  switch (request.op) {
    case 'init':
      cache = new MultiLayerCache({ ...request.options, logger: quietLogger });
      return cache.ready();
    case 'getOrSetMany': {
      const loader = async (): Promise<unknown> => {
        loaderCalls++;
        await sleep(50);
        return request.value;
      };
      const calls = Array.from({ length: request.count ?? 1 }, () =>
        instance().getOrSet(key, loader, { distributed: request.distributed === true }),
      );
      return Promise.all(calls);
    }
    case 'get':
      return instance().get(key);
    case 'peek':
      return instance().peekL1(key);
    case 'set':
      return instance().set(key, request.value);
    case 'loaderCalls':
      return loaderCalls;
    case 'watchEviction':
      watchEviction(key);
      return true;
    case 'close':
      await instance().close();
      return true;
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

/** Reports, as an `evicted` event, the moment the key leaves this instance's L1. */
function watchEviction(key: string): void {
  const timer = setInterval(() => {
    if (instance().peekL1(key) === undefined) {
      clearInterval(timer);
      send({ event: 'evicted', key, at: wallClockMs() });
    }
  }, 1);
}

process.on('message', (request: Request) => {
  handle(request).then(
    (result) => send({ id: request.id, ok: true, result }),
    (err: unknown) => send({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
