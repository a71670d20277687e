import 'reflect-metadata';
import { workerConfig, loadConfigOrExit } from '@formscale/config';
import { runHttpApp } from '@formscale/observability';
import { AppModule } from './app.module';

const config = loadConfigOrExit(workerConfig);
runHttpApp(AppModule.forRoot(config), config);
