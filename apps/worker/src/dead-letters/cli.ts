import { readFile } from 'node:fs/promises';
import { loadConfigOrExit, workerConfig } from '@formscale/config';
import { SUBMISSIONS_QUEUE } from '@formscale/contracts';
import {
  DeadLetterNotFoundError,
  deadLetterPageSchema,
  deleteDeadLetter,
  inspectDeadLetter,
  InvalidReplayDataError,
  isQueueName,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetter,
} from '@formscale/queue';
import { Queue } from 'bullmq';
import { z } from 'zod';

const USAGE = `usage: npm run dead-letters -- <command> [--queue submissions|webhooks]
  list [offset] [limit]     failed jobs, newest first (default 0 50)
  show <id>                 one failed job with its payload, reason and stack trace
  replay <id> [data.json]   run it again under the same id (optionally with corrected data from a JSON file)
  delete <id>               delete one failed job
  purge                     delete every failed job of the queue`;

class UsageError extends Error {}

async function run(queue: Queue, command: string | undefined, args: string[]): Promise<unknown> {
  const id = (): string => {
    if (args[0] === undefined) throw new UsageError(`${command} needs a job id`);
    return args[0];
  };
  switch (command) {
    case 'list': {
      const page = deadLetterPageSchema.safeParse({ offset: args[0], limit: args[1] });
      if (!page.success) throw new UsageError(`list [offset] [limit]: ${z.prettifyError(page.error).replace(/\n/g, '; ')}`);
      return listDeadLetters(queue, page.data);
    }
    case 'show': {
      const letter = await inspectDeadLetter(queue, id());
      if (letter === undefined) throw new DeadLetterNotFoundError(queue.name, id());
      return letter;
    }
    case 'replay': {
      const jobId = id();
      const data = args[1] === undefined ? undefined : (JSON.parse(await readFile(args[1], 'utf8')) as unknown);
      await replayDeadLetter(queue, jobId, data);
      return { replayed: jobId, queue: queue.name };
    }
    case 'delete': {
      const jobId = id();
      if (!(await deleteDeadLetter(queue, jobId))) throw new DeadLetterNotFoundError(queue.name, jobId);
      return { deleted: jobId, queue: queue.name };
    }
    case 'purge':
      return { purged: await purgeDeadLetters(queue), queue: queue.name };
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  }
}

async function main(argv: string[]): Promise<number> {
  const queueFlag = argv.indexOf('--queue');
  const queueName = queueFlag >= 0 ? (argv.splice(queueFlag, 2)[1] ?? '') : SUBMISSIONS_QUEUE;
  if (!isQueueName(queueName)) {
    process.stderr.write(`unknown queue "${queueName}"\n${USAGE}\n`);
    return 2;
  }
  const [command, ...args] = argv;
  const config = loadConfigOrExit(workerConfig);
  const queue = new Queue(queueName, { connection: { url: config.redisUrl }, prefix: config.queuePrefix });
  try {
    process.stdout.write(`${JSON.stringify(await run(queue, command, args), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof InvalidReplayDataError) {
      process.stderr.write(`${error.message}\n${error.problems.map((problem) => `  ${problem.field}: ${problem.message}`).join('\n')}\n`);
      return 1;
    }
    if (error instanceof DeadLetterNotFoundError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
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
