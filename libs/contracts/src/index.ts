export * from './metrics-events';
