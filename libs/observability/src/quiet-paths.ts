const QUIET_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

/**
 * Probes and scrapes arrive every few seconds from every orchestrator and
 * Prometheus: they are not logged (each would drown the requests people look
 * for) and get no request context (see bindRequestContext).
 */
export function isQuietPath(url: string): boolean {
  return QUIET_PATHS.test(url);
}
