/** The app's config object, as loaded at start-up. */
export const FORMS_API_CONFIG = Symbol('FORMS_API_CONFIG');
/** A fail-fast ioredis client for idempotency keys and rate limits. */
export const API_REDIS = Symbol('API_REDIS');
