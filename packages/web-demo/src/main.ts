// The page: starts the training worker, plots the loss, shows samples and what the runtime found.
// All the numerical work happens in the worker; this thread only draws.
import { DEFAULT_TEXT } from './corpus.js';
import { LossPlot } from './plot.js';
import type { FromWorker, RuntimeInfo, ToWorker, TrainConfig } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLElement>('status');
const runtime = $<HTMLElement>('runtime');
const modelText = $<HTMLPreElement>('model');
const lossText = $<HTMLElement>('loss');
const samples = $<HTMLOListElement>('samples');
const frames = $<HTMLElement>('frames');
const button = $<HTMLButtonElement>('toggle');
const textArea = $<HTMLTextAreaElement>('text');
const hiddenInput = $<HTMLInputElement>('hidden');
textArea.value = DEFAULT_TEXT;

/** What the page has seen, for the browser test and for curious users (`window.demo` in the console). */
const demo = {
  steps: 0, losses: [] as number[], samples: [] as string[], frames: 0, error: null as string | null,
  info: null as RuntimeInfo | null,
  /** Threads the kernels ran the last step on (1 once a pool worker failed to start). */
  threads: 0,
};
(window as unknown as { demo: typeof demo }).demo = demo;

// A frame counter: it keeps counting while the worker trains, which shows the page stays responsive.
const tick = () => {
  demo.frames++;
  frames.textContent = String(demo.frames);
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);

let worker: Worker | null = null;
let plot: LossPlot | null = null;
let drawPending = false;

function start(): void {
  const config: TrainConfig = {
    text: textArea.value,
    hidden: Number(hiddenInput.value),
    seqLen: 32,
    batch: 16,
    lr: 0.01,
    sampleEvery: 25,
    sampleLength: 160,
    seed: 1,
  };
  plot = new LossPlot($<HTMLElement>('plot'));
  samples.replaceChildren();
  Object.assign(demo, { steps: 0, losses: [], samples: [], error: null, info: null, threads: 0 });
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => receive(e.data);
  worker.onerror = (e) => fail(`the worker failed to load or run: ${e.message}`);
  worker.postMessage({ type: 'start', config } satisfies ToWorker);
  button.textContent = 'Stop';
  status.textContent = 'starting…';
}

function stop(): void {
  worker?.postMessage({ type: 'stop' } satisfies ToWorker);
  button.textContent = 'Train';
}

function fail(message: string): void {
  demo.error = message;
  status.textContent = `error: ${message}`;
  status.classList.add('error');
  worker?.terminate();
  worker = null;
  button.textContent = 'Train';
}

function showRuntime(i: RuntimeInfo): void {
  runtime.textContent = [
    `WebAssembly gemm: ${i.wasmGemm ? 'yes' : 'no (TypeScript kernel)'}`,
    `cross-origin isolated: ${i.crossOriginIsolated ? 'yes' : 'no'}`,
    `threads: ${demo.threads}`,
    `eval blocked by CSP: ${i.evalBlocked ? 'yes' : 'no'}`,
    `${i.vocabSize} characters, ${i.parameters.toLocaleString('en-US')} parameters`,
  ].join(' · ');
}

function receive(m: FromWorker): void {
  switch (m.type) {
    case 'ready': {
      demo.info = m.info;
      demo.threads = m.info.threads;
      showRuntime(m.info);
      modelText.textContent = m.info.model;
      status.textContent = 'training';
      break;
    }
    case 'step':
      demo.steps = m.step;
      if (m.threads !== demo.threads && demo.info) {
        demo.threads = m.threads;
        showRuntime(demo.info);
      }
      demo.losses.push(m.loss);
      plot!.add(m.loss);
      lossText.textContent = `step ${m.step}: loss ${plot!.mean!.toFixed(3)} nats/char (${m.msPerStep.toFixed(0)} ms/step)`;
      // Draw at most once per frame, however fast steps arrive.
      if (!drawPending) {
        drawPending = true;
        requestAnimationFrame(() => { drawPending = false; plot!.draw(); });
      }
      break;
    case 'sample': {
      demo.samples.push(m.text);
      const item = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = `step ${m.step}`;
      const body = document.createElement('pre');
      body.textContent = m.text;
      item.append(label, body);
      samples.prepend(item);
      break;
    }
    case 'stopped':
      status.textContent = `stopped at step ${m.step}`;
      worker?.terminate();
      worker = null;
      break;
    case 'error':
      fail(m.message);
      break;
  }
}

button.onclick = () => (worker ? stop() : start());
// ?autostart (what the browser test opens) starts training at once.
if (new URLSearchParams(location.search).has('autostart')) start();
