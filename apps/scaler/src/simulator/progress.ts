/**
 * Progress of a long simulation on stderr: a bar redrawn in place on a
 * terminal, or a line every 10 % when stderr is a file or a pipe (CI logs).
 */

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  update(done: number): void;
  finish(): void;
}

const BAR_WIDTH = 30;
/** A pipe gets a line per this share of the work: enough to see it move, few enough to read. */
const LINE_EVERY_PERCENT = 10;

export function createProgress(stream: ProgressStream, total: number, label: string): Progress {
  let lastPercent = -1;
  let finished = false;
  const percentOf = (done: number): number => (total <= 0 ? 100 : Math.min(100, Math.floor((100 * done) / total)));

  if (stream.isTTY === true) {
    return {
      update(done) {
        const percent = percentOf(done);
        if (percent === lastPercent) {
          return;
        }
        lastPercent = percent;
        const filled = Math.round((percent / 100) * BAR_WIDTH);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}%`);
      },
      finish() {
        if (!finished) {
          finished = true;
          this.update(total);
          stream.write('\n');
        }
      },
    };
  }
  return {
    update(done) {
      const percent = percentOf(done);
      const step = Math.floor(percent / LINE_EVERY_PERCENT) * LINE_EVERY_PERCENT;
      if (step > lastPercent) {
        lastPercent = step;
        stream.write(`${label}: ${step}%\n`);
      }
    },
    finish() {
      if (!finished) {
        finished = true;
        this.update(total);
      }
    },
  };
}
