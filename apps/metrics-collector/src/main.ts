import 'reflect-metadata';
import { collectorConfig, loadConfigOrExit } from '@formscale/config';
import { runHttpApp } from '@formscale/observability';
import { AppModule } from './app.module';

const config = loadConfigOrExit(collectorConfig);
runHttpApp(AppModule.forRoot(config), config);
