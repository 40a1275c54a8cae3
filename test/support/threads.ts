import { readdirSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How many namespace worker threads this process has now. */
export function workerThreads(): number {
  let n = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'netsandbox-ns') n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}

setFlagsFromString('--expose-gc');
const gcFunction = runInNewContext('gc') as () => void;

/** Collects garbage until `done()` or the tries run out; finalizers run between tries. */
export async function collectUntil(done: () => boolean, tries = 50): Promise<boolean> {
  for (let i = 0; i < tries && !done(); i++) {
    gcFunction();
    await new Promise((r) => setTimeout(r, 20));
  }
  return done();
}

export async function waitFor(done: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return done();
}
