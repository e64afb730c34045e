# The PyTorch side of the benchmark: W1-W4 with torch.nn.LSTM / GRU / Linear, F.cross_entropy and
# torch.optim.Adam at --threads n. Run by src/bench.ts with Debian's /usr/bin/python3 as a persistent
# runner (--serve: the line protocol of src/protocol.ts, one timed run per request, so the parent can
# interleave it with unroll's runs), or standalone:  python3 torch_bench.py --plan W1:3:15,W3:3:15
import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# Must match SIZES, GEMM_SIZES and BUDGET in src/workloads.ts.
VOCAB, HIDDEN, BATCH, TIME, LR = 65, 256, 32, 64, 2e-3
GEMM_SIZES = (256, 512, 1024)
BUDGET_SECONDS, MIN_RUNS = 45, 2
RESULT_TAG, INFO_TAG, READY_TAG, TIME_TAG = '@@result ', '@@info ', '@@ready', '@@time '  # src/protocol.ts


def hash32(i, seed):
    """The murmur3 finalizer of (i + seed * 0x9E3779B9) mod 2^32, vectorised; same numbers as workloads.ts."""
    with np.errstate(over='ignore'):
        x = (np.asarray(i, dtype=np.uint32) + np.uint32((seed * 0x9E3779B9) & 0xFFFFFFFF)).astype(np.uint32)
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x85EBCA6B)
        x ^= x >> np.uint32(13)
        x *= np.uint32(0xC2B2AE35)
        x ^= x >> np.uint32(16)
    return x


def det_uniform(shape, seed, bound):
    """float32 values over [-bound, bound), as detUniform: computed in float64, rounded once."""
    count = int(np.prod(shape))
    u = hash32(np.arange(count, dtype=np.uint32), seed).astype(np.float64) / 4294967296.0
    return torch.from_numpy(((2 * u - 1) * bound).astype(np.float32).reshape(shape))


def char_batch():
    """One-hot inputs [T, B, V] and next-character targets [T, B], as charBatch."""
    tokens = torch.from_numpy((hash32(np.arange((TIME + 1) * BATCH, dtype=np.uint32), 99) % VOCAB).astype(np.int64))
    tokens = tokens.reshape(TIME + 1, BATCH)
    return F.one_hot(tokens[:-1], VOCAB).float(), tokens[1:].contiguous()


class CharModel(torch.nn.Module):
    """one-hot [T, B, V] -> LSTM or GRU (hidden 256) -> Linear(256, 65) on every step."""

    def __init__(self, kind):
        super().__init__()
        cls = torch.nn.LSTM if kind == 'lstm' else torch.nn.GRU
        self.rnn = cls(VOCAB, HIDDEN)
        self.head = torch.nn.Linear(HIDDEN, VOCAB)
        gates = 4 if kind == 'lstm' else 3
        bound = 1 / HIDDEN ** 0.5
        spec = [('rnn.weight_ih_l0', (gates * HIDDEN, VOCAB)), ('rnn.weight_hh_l0', (gates * HIDDEN, HIDDEN)),
                ('rnn.bias_ih_l0', (gates * HIDDEN,)), ('rnn.bias_hh_l0', (gates * HIDDEN,)),
                ('head.weight', (VOCAB, HIDDEN)), ('head.bias', (VOCAB,))]
        self.load_state_dict({name: det_uniform(shape, k + 1, bound) for k, (name, shape) in enumerate(spec)})

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def sample(warmup, runs, fn):
    for _ in range(warmup):
        fn()
    times, spent = [], 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ms = (time.perf_counter() - t0) * 1000
        times.append(ms)
        spent += ms
        if spent > BUDGET_SECONDS * 1000 and len(times) >= MIN_RUNS:
            break
    return times


# Each workload opens as (step, extras): step() runs it once, extras() gives the result's parameter
# count and check values (W1-W3), as OpenWorkload in src/runner-loop.ts.

def train_step(kind):
    model = CharModel(kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    x, targets = char_batch()
    losses = []

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    return step, lambda: {'parameters': sum(p.numel() for p in model.parameters()), 'check': losses[:2]}


def lstm_forward():
    model = CharModel('lstm')
    x, _ = char_batch()
    mean = [0.0]

    def step():
        with torch.no_grad():
            mean[0] = model.rnn(x)[0].mean().item()

    return step, lambda: {'parameters': sum(p.numel() for p in model.parameters()), 'check': mean[:]}


def gemm_square(n):
    a, b = det_uniform((n, n), 7, 1), det_uniform((n, n), 8, 1)
    c = torch.empty(n, n)
    return (lambda: torch.mm(a, b, out=c)), (lambda: {})


def open_workload(workload, size):
    if workload == 'W1':
        return train_step('lstm')
    if workload == 'W2':
        return train_step('gru')
    if workload == 'W3':
        return lstm_forward()
    if workload == 'W4' and size:
        return gemm_square(size)
    raise SystemExit(f'torch_bench: unknown workload {workload!r} (size {size!r})')


def result(workload, size, times, extras):
    row = {'system': 'torch', 'workload': workload, 'timesMs': times, 'medianMs': statistics.median(times),
           'threads': torch.get_num_threads(), **extras()}
    if size:
        row['size'] = size
    return row


def run_plan(plan):
    """Standalone: each workload of the plan (W4 at every size) back to back, one result line each."""
    for item in filter(None, plan.split(',')):
        workload, warmup, runs = item.split(':')
        for size in (GEMM_SIZES if workload == 'W4' else (None,)):
            step, extras = open_workload(workload, size)
            times = sample(int(warmup), int(runs), step)
            print(RESULT_TAG + json.dumps(result(workload, size, times, extras)), flush=True)


def serve():
    """--serve: the line protocol of src/protocol.ts (setup / run / finish / quit), one reply a command."""
    current = None
    while True:
        line = sys.stdin.readline()
        if not line:
            return  # the parent closed stdin
        words = line.split()
        if not words:
            continue
        if words[0] == 'setup' and len(words) == 4:
            workload, size, warmup = words[1], None if words[2] == '-' else int(words[2]), int(words[3])
            step, extras = open_workload(workload, size)
            for _ in range(warmup):
                step()
            current = (workload, size, step, extras, [])
            print(READY_TAG, flush=True)
        elif words == ['run'] and current:
            t0 = time.perf_counter()
            current[2]()
            ms = (time.perf_counter() - t0) * 1000
            current[4].append(ms)
            print(TIME_TAG + repr(ms), flush=True)
        elif words == ['finish'] and current and current[4]:
            workload, size, _, extras, times = current
            print(RESULT_TAG + json.dumps(result(workload, size, times, extras)), flush=True)
            current = None
        elif words == ['quit']:
            return
        else:
            raise SystemExit(f'torch_bench: unexpected command {line.strip()!r} (expected setup <W> <size|-> <warmup>, '
                             'or run / finish after a setup, or quit)')


def blas_library():
    """The BLAS shared object torch loaded (OpenBLAS or the slow reference BLAS), from the process's maps."""
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if 'blas' in line.lower()}
        return ', '.join(sorted(libs)) or 'none found'
    except OSError:
        return 'unknown'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--plan', default='W1:3:15,W2:3:15,W3:3:15,W4:3:15', help='workload:warmup:runs,...')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--serve', action='store_true',
                        help='answer setup / run / finish / quit commands on stdin (src/protocol.ts) instead of --plan')
    parser.add_argument('--probe', action='store_true',
                        help='print the best time (ms) of a 512 x 512 float32 torch.mm and an LSTM forward, and exit')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.probe:
        # How fast this process's BLAS kernels are (bench.ts compares OPENBLAS_CORETYPE values with it).
        a, b = det_uniform((512, 512), 7, 1), det_uniform((512, 512), 8, 1)
        mm = min(sample(3, 12, lambda: torch.mm(a, b)))
        print(json.dumps({'mm512Ms': mm}), flush=True)
        return
    print(INFO_TAG + json.dumps({'system': 'torch', 'version': torch.__version__, 'threads': torch.get_num_threads(),
                                 'blas': blas_library()}), flush=True)
    if args.serve:
        serve()
    else:
        run_plan(args.plan)


if __name__ == '__main__':
    main()
