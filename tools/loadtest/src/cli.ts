// `npm run loadtest -- <reads|submit|mixed|soak> [options]`: see options.ts for every option.
import { OptionsError, parseOptions } from './options';
import { renderMarkdown, writeReport } from './report';
import { runLoadTest } from './run-loadtest';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { report } = await runLoadTest(options);
  process.stdout.write(`\n${renderMarkdown(report)}`);
  const written = writeReport(report);
  process.stdout.write(`\nsaved ${written.markdown}\n  and ${written.json}\n`);
  if (report.exactlyOnce !== undefined && !report.exactlyOnce.ok) process.exitCode = 2;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof OptionsError ? '' : 'loadtest failed: '}${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
