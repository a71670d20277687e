export * from './dependency-probes';
export * from './health.module';
export * from './http-app';
export * from './instance-id';
export * from './logging.module';
export * from './metrics.module';
export * from './observability.module';
export * from './request-id';
