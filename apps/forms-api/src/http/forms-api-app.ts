import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FormsApiConfig } from '@formscale/config';
import { createHttpApp } from '@formscale/observability';
import { AppModule } from '../app.module';
import { documentRoutes } from './api-routes';
import { honourConsistencyTokens } from './consistency-tokens';
import { PublicRoutes } from './public-routes';

// Admin bodies (form definitions with many fields) may be larger than a submission.
const ADMIN_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The forms API application, with the OpenAPI document and UI, the public
 * routes Fastify serves included, at /api/docs.
 */
export async function createFormsApiApp(config: FormsApiConfig): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule.forRoot(config), {
    bodyLimitBytes: Math.max(ADMIN_BODY_LIMIT_BYTES, config.submissionBodyLimitBytes),
  });
  // Before init registers the routes, so the hook covers every one of them.
  honourConsistencyTokens(app.getHttpAdapter().getInstance());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('formscale forms API')
      .setDescription('Forms, published versions and queued, idempotent submissions.')
      .setVersion('1')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'admin')
      .build(),
  );
  documentRoutes(document, app.get(PublicRoutes).routes);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
  return app;
}

export interface RunningFormsApi {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** Boots the API on an ephemeral loopback port (tests, benchmarks). */
export async function startFormsApi(config: FormsApiConfig): Promise<RunningFormsApi> {
  const app = await createFormsApiApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (typeof address !== 'object' || address === null) throw new Error('forms API is not listening on a TCP port');
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
