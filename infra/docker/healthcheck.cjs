// Docker HEALTHCHECK for every formscale image: asks the app's own liveness
// endpoint on loopback. Liveness, not readiness: a container whose Redis or
// PostgreSQL is briefly away should be taken out of rotation (readiness), not
// restarted, which would not bring the dependency back.
// The app's port comes from the same variable the app reads, so an override of
// the port cannot leave the check probing the wrong one.
const PORTS = {
  'forms-api': ['FORMS_API_PORT', 3000],
  worker: ['WORKER_PORT', 3001],
  'metrics-collector': ['COLLECTOR_PORT', 3002],
  scaler: ['SCALER_PORT', 3003],
};

const app = process.env.FORMSCALE_APP;
const entry = PORTS[app];
if (!entry) {
  process.stderr.write(`healthcheck: FORMSCALE_APP is "${app}", expected one of ${Object.keys(PORTS).join(', ')}\n`);
  process.exit(1);
}
const [portVariable, defaultPort] = entry;
const port = Number(process.env[portVariable] || defaultPort);
// Docker's own --timeout kills a hung check; this one reports it clearly first.
const TIMEOUT_MS = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 2500);

fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(TIMEOUT_MS) })
  .then((res) => {
    if (res.status === 200) process.exit(0);
    process.stderr.write(`healthcheck: GET /health/live on port ${port} answered ${res.status}\n`);
    process.exit(1);
  })
  .catch((error) => {
    process.stderr.write(`healthcheck: GET /health/live on port ${port} failed: ${error.message}\n`);
    process.exit(1);
  });
