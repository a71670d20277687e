import { loadConfigOrExit, workerConfig } from '@formscale/config';
import { SUBMISSIONS_QUEUE } from '@formscale/contracts';
import { Queue } from 'bullmq';
import { countDeadLetters, inspectDeadLetter, isQueueName, listDeadLetters, purgeDeadLetters, replayDeadLetter } from './dead-letters';

const USAGE = `usage: npx tsx apps/worker/src/dead-letters/cli.ts <command> [--queue submissions|webhooks]
  list [offset] [limit]     failed jobs, newest first
  show <id>                 one failed job with its payload and reason
  replay <id> [data.json]   run it again under the same id (optionally with corrected data from a JSON file)
  purge                     delete every failed job of the queue`;

async function main(argv: string[]): Promise<number> {
  const queueFlag = argv.indexOf('--queue');
  const queueName = queueFlag >= 0 ? argv.splice(queueFlag, 2)[1] ?? '' : SUBMISSIONS_QUEUE;
  if (!isQueueName(queueName)) {
    process.stderr.write(`unknown queue "${queueName}"\n${USAGE}\n`);
    return 2;
  }
  const [command, ...args] = argv;
  const config = loadConfigOrExit(workerConfig);
  const queue = new Queue(queueName, { connection: { url: config.redisUrl }, prefix: config.queuePrefix });
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  try {
    switch (command) {
      case 'list':
        print({ total: await countDeadLetters(queue), jobs: await listDeadLetters(queue, Number(args[0] ?? 0), Number(args[1] ?? 50)) });
        return 0;
      case 'show': {
        const letter = args[0] === undefined ? undefined : await inspectDeadLetter(queue, args[0]);
        if (letter === undefined) {
          process.stderr.write(`no failed job ${args[0] ?? '(missing id)'} in queue ${queueName}\n`);
          return 1;
        }
        print(letter);
        return 0;
      }
      case 'replay': {
        if (args[0] === undefined) break;
        const { readFile } = await import('node:fs/promises');
        const data = args[1] === undefined ? undefined : JSON.parse(await readFile(args[1], 'utf8'));
        await replayDeadLetter(queue, args[0], data);
        print({ replayed: args[0], queue: queueName });
        return 0;
      }
      case 'purge':
        print({ purged: await purgeDeadLetters(queue), queue: queueName });
        return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } finally {
    await queue.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
