// A runner run start to finish in its own process, alone (the tfjs peers: 3–70× slower than unroll and
// torch, so interleaving them would stretch every round to seconds): it prints one @@result line per
// workload as it finishes, echoed here as it arrives.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { progressLine } from './report.js';
import { INFO_TAG, RESULT_TAG } from './workloads.js';
import type { WorkloadResult } from './workloads.js';

export interface RunOutcome { results: WorkloadResult[]; infos: Record<string, unknown>[]; error?: string; seconds: number }

/**
 * Runs `command args` to its end. Anything the child prints that is not a tagged record goes to stderr
 * under `label`, so errors stay visible; a non-zero exit is reported with the tail of its stderr.
 */
export function runSequential(label: string, command: string, args: string[], cwd: string,
  env: NodeJS.ProcessEnv = process.env): Promise<RunOutcome> {
  const started = performance.now();
  const outcome: RunOutcome = { results: [], infos: [], seconds: 0 };
  const stderrTail: string[] = [];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(RESULT_TAG)) {
        const r = JSON.parse(line.slice(RESULT_TAG.length)) as WorkloadResult;
        outcome.results.push(r);
        console.log(progressLine(label, r));
      } else if (line.startsWith(INFO_TAG)) {
        outcome.infos.push(JSON.parse(line.slice(INFO_TAG.length)) as Record<string, unknown>);
      } else if (line.trim()) {
        console.error(`  [${label}] ${line}`);
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
    });
    child.on('error', (e) => { outcome.error = e.message; });
    child.on('close', (code, signal) => {
      outcome.seconds = (performance.now() - started) / 1000;
      if (code !== 0) {
        // Long minified lines (emscripten echoes its source on a crash) are cut to keep the tail readable.
        outcome.error ??= `exited with ${signal ?? `code ${code}`}:\n${stderrTail.map((l) => `    ${l.slice(0, 300)}`).join('\n')}`;
      }
      resolve(outcome);
    });
  });
}
