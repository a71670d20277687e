import type { WorkerConfig } from '@formscale/config';

/** Injection token of the validated worker configuration. */
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
export type { WorkerConfig };
