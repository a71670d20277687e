import 'reflect-metadata';
import { formsApiConfig, loadConfigOrExit } from '@formscale/config';
import { runHttpApp } from '@formscale/observability';
import { AppModule } from './app.module';

const config = loadConfigOrExit(formsApiConfig);
runHttpApp(AppModule.forRoot(config), config);
