export { type CacheLoader, type CacheStats, MultiLayerCache } from './multi-layer-cache';
export { CACHE_DEFAULTS, type CacheCallOptions, type CacheLogger, type MultiLayerCacheOptions } from './cache-options';
export { CACHE_MODULE_OPTIONS, CacheModule, type CacheModuleAsyncOptions, CacheService } from './cache.module';
export { decodeEnvelope, encodeEnvelope, type CacheEnvelope } from './cache-entry-codec';
