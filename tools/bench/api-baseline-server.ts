/**
 * The baseline of bench:api: a bare Fastify server with the API's two hot
 * routes and nothing else. GET answers the form JSON the bench passes in
 * BASELINE_FORM_JSON; POST parses the JSON body and returns it. Prints its port.
 */
import Fastify from 'fastify';

const formJson = process.env['BASELINE_FORM_JSON'] ?? '{}';
const app = Fastify({ logger: false });
app.get('/api/forms/:id', (_request, reply) => {
  void reply.header('content-type', 'application/json; charset=utf-8').send(formJson);
});
app.post('/api/forms/:id/submissions', (request, reply) => {
  void reply.code(202).send(request.body);
});
app
  .listen({ port: 0, host: '127.0.0.1' })
  .then(() => {
    const address = app.server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
  })
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
