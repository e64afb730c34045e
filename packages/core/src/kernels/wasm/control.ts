// The control block: the first bytes of the runtime's memory, through which the main thread hands jobs
// to worker threads (see threads.ts and worker-source.ts). Int32 indices unless named *_F64.
export const CTRL = {
  /** Job word: (generation << 8) | next unclaimed part. Workers sleep on it. */
  CLAIM: 0,
  /** Parts finished in the current job. */
  DONE: 1,
  /** Parts in the current job (≤ 255). */
  PARTS: 2,
  /** Calls in the current job's queue. */
  OPS: 3,
  /** Workers that have started. */
  READY: 4,
  /** Workers sleeping in Atomics.wait (the main thread notifies only when some are). */
  SLEEPERS: 5,
  /** 1 + the id of a thread whose kernel threw, else 0. */
  FAILED: 6,
  /** Workers allowed to claim parts: those with id ≤ ACTIVE (fewer threads leave the others asleep). */
  ACTIVE: 7,
  /** 1 + the id of a worker that died (its script threw or exited), else 0. */
  DEAD: 8,
  /** Parts of the current job held by a worker when it died: never finished, counted so no one waits on them. */
  LOST: 9,
  /** Times every part runs the current job's queue over (see STRIDES_F64); 1 for a plain job. */
  TIMES: 10,
  /**
   * Microseconds an idle worker keeps polling for the next job before it sleeps in Atomics.wait (set by
   * the main thread; see workerSpinUs in threads.ts).
   */
  SPIN_US: 11,
  /** Module table: (byte address, byte length) of each kernel module's bytes, 2 ints per module. */
  MODULES: 16,
  /** Most kernel modules the table holds. */
  MAX_MODULES: 48,
  /** Float64 index of the queue: per call (module, function index, argument count, arguments…). */
  OP_F64: 64,
  /** Float64 slots per queued call. */
  OP_SLOTS: 32,
  /** Most calls in one job. */
  MAX_OPS: 12,
  /**
   * Float64 index of the current job's argument strides (right after the queue): a count, then per stride
   * (call, argument index, increment): repetition i runs that argument as its value + i · increment.
   */
  STRIDES_F64: 448,
  /** Most strides one job holds (1 + 3 · 20 float64 fit before BYTES). */
  MAX_STRIDES: 20,
  /** Bytes of the control block (the allocator starts after it). */
  BYTES: 4096,
} as const;
