#!/usr/bin/env node
// The `unroll-char-rnn` command: runs the char-rnn CLI from its TypeScript source through tsx (as
// `pnpm start` does), so it works in a fresh clone right after `pnpm install`, with no build step.
// Without tsx it falls back to the built JavaScript (`pnpm build` first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const source = here('../src/char-rnn/cli.ts');
const built = here('../dist/src/char-rnn/cli.js');

let loader = null;
try {
  loader = import.meta.resolve('tsx');
} catch {
  // tsx is a development dependency of the monorepo; without it, run the built files.
}
let nodeArgs;
if (loader !== null) {
  // The private `unroll-source` export condition points the workspace packages at their src/index.ts.
  nodeArgs = ['--conditions=unroll-source', '--import', loader, source];
} else if (existsSync(built)) {
  nodeArgs = [built];
} else {
  process.stderr.write('unroll-char-rnn: found neither tsx (run `pnpm install` in the unroll repository) nor the built CLI (run `pnpm build`)\n');
  process.exit(1);
}

const child = spawn(process.execPath, [...nodeArgs, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, UNROLL_CHAR_RNN_PROG: process.env.UNROLL_CHAR_RNN_PROG || 'unroll-char-rnn' },
});
// Ctrl-C reaches the child too (same process group); it stops after its current step and saves a
// checkpoint, so this process waits for it instead of dying first.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
