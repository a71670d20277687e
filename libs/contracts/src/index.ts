export * from './events';
export * from './queues';
