/**
 * Progress while the load runs: a bar redrawn in place on a terminal, a line
 * every few seconds otherwise (CI logs, pipes), so neither floods the output.
 */
const LINE_EVERY_MS = 5_000;
const BAR_WIDTH = 30;

export function progressReporter(totalSeconds: number, totalRequests: number | undefined, out: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let lastLine = 0;
  let lastCount = 0;
  let lastAt = started;
  return {
    tick(requests: number): void {
      const now = Date.now();
      const elapsed = (now - started) / 1000;
      const share = Math.min(1, totalRequests === undefined ? elapsed / totalSeconds : requests / totalRequests);
      const rate = ((requests - lastCount) / Math.max(0.001, now - lastAt)) * 1000;
      lastCount = requests;
      lastAt = now;
      const text = `${elapsed.toFixed(0)} s, ${requests.toLocaleString('en-US')} requests, ${Math.round(rate).toLocaleString('en-US')} req/s`;
      if (out.isTTY) {
        const filled = Math.round(share * BAR_WIDTH);
        out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.round(share * 100)}% ${text}   `);
      } else if (now - lastLine >= LINE_EVERY_MS) {
        lastLine = now;
        out.write(`[loadtest] ${Math.round(share * 100)}% ${text}\n`);
      }
    },
    end(): void {
      if (out.isTTY) out.write('\n');
    },
  };
}
