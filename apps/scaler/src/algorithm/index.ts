export * from './autoscaler';
export * from './hpa-behavior';
export * from './metric-replicas';
export * from './observation';
export * from './queue-depth';
export * from './target-config';
export * from './threshold-policy';
