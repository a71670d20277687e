export * from './env-var';
export * from './load-config';
export * from './variables';
export * from './app-configs';
export * from './local-replicas';
export * from './node-flags';
export * from './redis-close';
