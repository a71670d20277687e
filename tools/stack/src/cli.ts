import { StackError, printStackStatus, stackDown, stackUp } from './index';

const USAGE = 'usage: npx tsx tools/stack/src/cli.ts up|down|status';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'up':
      await stackUp();
      return;
    case 'down':
      await stackDown();
      return;
    case 'status':
      await printStackStatus();
      return;
    default:
      throw new StackError(`unknown command "${command ?? ''}": ${USAGE}`);
  }
}

main(process.argv[2]).catch((error: unknown) => {
  if (error instanceof StackError) {
    process.stderr.write(`[stack] error: ${error.message}\n`);
    if (error.logFile) process.stderr.write(`[stack] details in ${error.logFile}\n`);
  } else {
    process.stderr.write(`[stack] unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exitCode = 1;
});
