export * from './dead-letters';
export * from './queue-errors';
export * from './queue-error-logging.provider';
