/** Polls until check() returns true; fails with what() after timeoutMs. A correctness bound, not a speed check. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: () => Promise<string> | string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await what()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
