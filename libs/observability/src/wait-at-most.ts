/** Waits for `work` to settle, or `ms` at most; never rejects. For steps of a shutdown that must not hold it up. */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work.catch(() => undefined), giveUp]);
  clearTimeout(timer);
}
