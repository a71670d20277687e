import 'reflect-metadata';
import { formsApiConfig, loadConfigOrExit } from '@formscale/config';
import { listen } from '@formscale/observability';
import { createFormsApiApp } from './http/forms-api-app';

const config = loadConfigOrExit(formsApiConfig);
createFormsApiApp(config)
  .then((app) => listen(app, config.port, config.host))
  .catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', time: new Date().toISOString(), msg: 'start-up failed', reason })}\n`);
    process.exit(1);
  });
