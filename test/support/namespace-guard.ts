// Loaded before every integration and lifecycle test file. It refuses to run outside the private
// network + mount namespace of test/in-private-netns.sh (whose tmpfs on /run/netns is named
// 'netsandbox'), so a test run by hand can never leave namespaces on the machine. And after the
// file, the JS thread and every thread that is not a namespace worker must still be in the
// namespace they started in.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';

import { binding } from '../../lib/native.js';

const WORKER_THREAD_NAME = 'netsandbox-ns';

function threadNamespaces(): Map<string, string> {
  const out = new Map<string, string>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      if (comm !== WORKER_THREAD_NAME) out.set(`${tid} (${comm})`, readlinkSync(`/proc/self/task/${tid}/ns/net`));
    } catch {
      // the thread exited while we looked
    }
  }
  return out;
}

const privateRunNetns = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
  .some((line) => / \/run\/netns .* - tmpfs netsandbox /.test(line));
if (!privateRunNetns) {
  throw new Error('integration and lifecycle tests run only inside test/in-private-netns.sh (npm test does that)');
}

let jsThreadNamespace = 0;
let processNamespace = '';

beforeAll(() => {
  jsThreadNamespace = binding.threadNamespaceId();
  processNamespace = readlinkSync('/proc/self/ns/net');
});

afterAll(() => {
  expect(binding.threadNamespaceId()).toBe(jsThreadNamespace);
  for (const [thread, ns] of threadNamespaces()) {
    expect({ thread, ns }).toEqual({ thread, ns: processNamespace });
  }
});
