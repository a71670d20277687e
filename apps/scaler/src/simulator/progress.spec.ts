import { createProgress } from './progress';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

describe('progress on stderr', () => {
  it('draws a bar in place on a terminal', () => {
    const stream = sink(true);
    const progress = createProgress(stream, 200, 'ramp hpa-cpu');
    progress.update(100);
    progress.update(100);
    progress.finish();
    expect(stream.writes).toEqual([
      `\rramp hpa-cpu [${'#'.repeat(15)}${'-'.repeat(15)}]  50%`,
      `\rramp hpa-cpu [${'#'.repeat(30)}] 100%`,
      '\n',
    ]);
  });

  it('prints a line every 10 % when stderr is not a terminal', () => {
    const stream = sink(false);
    const progress = createProgress(stream, 1000, 'daily');
    for (let done = 0; done <= 1000; done += 7) {
      progress.update(done);
    }
    progress.finish();
    expect(stream.writes).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((percent) => `daily: ${percent}%\n`));
  });
});
