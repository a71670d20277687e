export * from './events';
export * from './metrics-events';
export * from './queues';
