import 'reflect-metadata';
import { scalerConfig, loadConfigOrExit } from '@formscale/config';
import { runHttpApp } from '@formscale/observability';
import { AppModule } from './app.module';
import { summarizeTargets } from './targets/check-config';
import { loadScalerTargets } from './targets/scaler-targets';

const config = loadConfigOrExit(scalerConfig);
// `node main.js --check-config`: validate SCALER_CONFIG (with SCALER_BACKEND applied) and print the
// targets, without starting anything: for CI, an init step, or a person editing the file.
if (process.argv.includes('--check-config')) {
  try {
    const targets = summarizeTargets(loadScalerTargets(config.configFile, config.backend));
    process.stdout.write(`${JSON.stringify({ msg: 'scaler config ok', file: config.configFile, targets })}\n`);
  } catch (error) {
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'scaler config invalid', reason: error instanceof Error ? error.message : String(error) })}\n`);
    process.exitCode = 1;
  }
} else {
  runHttpApp(AppModule.forRoot(config), config);
}
