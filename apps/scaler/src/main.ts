import 'reflect-metadata';
import { scalerConfig, loadConfigOrExit } from '@formscale/config';
import { runHttpApp } from '@formscale/observability';
import { AppModule } from './app.module';

const config = loadConfigOrExit(scalerConfig);
runHttpApp(AppModule.forRoot(config), config);
