import { OptionsError, parseOptions, USAGE } from './options';
import { renderTable } from './report';
import { runSimulation } from './run-simulation';
import { TraceError } from './traces';

/** `npm run simulate -- --trace ramp`: exit code 0 on success, 2 for a usage error, 1 for anything else. */
function main(argv: string[]): number {
  try {
    const command = parseOptions(argv);
    if (command.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const { results, files } = runSimulation(command, process.stderr);
    process.stdout.write(`${renderTable(results, command.settings.latencyObjectiveMs)}\n\n`);
    process.stdout.write(`report: ${files.markdown}\nchart:  ${files.svg}\ndata:   ${files.json}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`simulate: ${message}\n`);
    return error instanceof OptionsError || error instanceof TraceError ? 2 : 1;
  }
}

process.exitCode = main(process.argv.slice(2));
