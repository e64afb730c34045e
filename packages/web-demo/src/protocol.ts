// The messages between the page and the training worker (both sides import these types).

/** What the page asks the worker to train. */
export interface TrainConfig {
  /** The text to learn (at least seqLen + 1 characters). */
  text: string;
  /** LSTM hidden size. */
  hidden: number;
  /** Characters per training sequence. */
  seqLen: number;
  /** Sequences per batch. */
  batch: number;
  /** Adam learning rate. */
  lr: number;
  /** Steps between samples. */
  sampleEvery: number;
  /** Characters per sample. */
  sampleLength: number;
  /** Seed of the weights, batches and samples. */
  seed: number;
}

export type ToWorker = { type: 'start'; config: TrainConfig } | { type: 'stop' };

/** What the worker found about where it runs. */
export interface RuntimeInfo {
  /** The page is cross-origin isolated (SharedArrayBuffer, so worker threads, are available). */
  crossOriginIsolated: boolean;
  /** Threads the kernels use when training starts (the step messages carry the count in use). */
  threads: number;
  /** The WebAssembly SIMD gemm is in use (else the TypeScript one). */
  wasmGemm: boolean;
  /** `new Function` is refused here (a strict Content-Security-Policy). */
  evalBlocked: boolean;
  /** The model as printed by String(model). */
  model: string;
  parameters: number;
  vocabSize: number;
}

export type FromWorker =
  | { type: 'ready'; info: RuntimeInfo }
  // threads: what the kernels ran on (1 once a pool worker failed to start, e.g. refused by the page's CSP).
  | { type: 'step'; step: number; loss: number; msPerStep: number; threads: number }
  | { type: 'sample'; step: number; text: string }
  | { type: 'stopped'; step: number }
  | { type: 'error'; message: string };
