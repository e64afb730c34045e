"""PyTorch's side of char-lm-vs-torch.ts: the char-rnn's recipe with torch.nn.LSTM.

The model (one-hot or embedding -> torch.nn.LSTM -> dropout -> Linear), the batching (B consecutive
streams through the training text, T characters a step, the state carried from one chunk to the next
with its graph cut, zeros again at each new pass), the optimizer (Adam, global-norm clipping), the
learning-rate schedule (linear warm-up, then cosine, step or constant) and the validation (the whole
held-out text through min(B, n // (T + 1)) streams, state carried, mean cross-entropy in nats/char)
are those of packages/examples/src/char-rnn. Run by char-lm-vs-torch.ts with Debian's PyTorch:

    /usr/bin/python3 char-lm-vs-torch.py --data DIR      # ids, config and initial weights from the .ts script
    /usr/bin/python3 char-lm-vs-torch.py --text ../shared/data/tinyshakespeare.txt --layers 2 --hidden 256 ...

With --data, DIR holds config.json (the CLI's training config, the vocabulary size, the steps to
validate at, the number of validation streams), train.i32 and val.i32 (the training and validation
streams as the CLI cuts them, int32 little-endian) and, unless torch is to use its own init,
init.safetensors (unroll's initial weights under PyTorch's names), so both sides start from the same
weights and read the same characters in the same order. With --text, the ids and the weights are
made here (the vocabulary: the text's distinct characters sorted by code point, as the CLI's).

Prints one JSON line per validation to stdout ({"step", "val_loss", "train_loss", "seconds"}) and a
progress line to stderr.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    """name -> tensor for the F32 and I32 tensors of a safetensors file (a u64 header size, a JSON header, the data)."""
    with open(path, 'rb') as f:
        raw = f.read()
    (size,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + size])
    body = raw[8 + size:]
    kinds = {'F32': np.float32, 'I32': np.int32, 'F64': np.float64}
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        begin, end = entry['data_offsets']
        array = np.frombuffer(body[begin:end], dtype=kinds[entry['dtype']]).reshape(entry['shape'])
        out[name] = torch.from_numpy(array.copy())
    return out


class CharModel(torch.nn.Module):
    """ids [T, B] -> one-hot [T, B, V] or Embedding(V, E) -> LSTM -> Dropout -> Linear(H, V): logits [T, B, V]."""

    def __init__(self, vocab, input_kind, embed, hidden, layers, dropout):
        super().__init__()
        self.vocab, self.input_kind = vocab, input_kind
        if input_kind == 'embedding':
            self.embedding = torch.nn.Embedding(vocab, embed)
        size = vocab if input_kind == 'one-hot' else embed
        self.rnn = torch.nn.LSTM(size, hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0)
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):
        x = F.one_hot(ids, self.vocab).float() if self.input_kind == 'one-hot' else self.embedding(ids)
        out, state = self.rnn(x, state)
        return self.head(self.drop(out)), state


def lr_factor(cfg, e):
    """The factor of the base lr before optimizer step e (0-based), as lrFactor in src/char-rnn/schedule.ts."""
    if e < cfg['warmup']:
        return (e + 1) / cfg['warmup']
    after = e - cfg['warmup']
    if cfg['schedule'] == 'constant':
        return 1.0
    if cfg['schedule'] == 'step':
        return cfg['gamma'] ** (after // cfg['stepSize'])
    span = max(1, cfg['steps'] - cfg['warmup'])
    progress = min(after, span) / span
    return cfg['minLrFactor'] + (1 - cfg['minLrFactor']) * (1 + math.cos(math.pi * progress)) / 2


def streams(ids, batch):
    """[B, L] consecutive streams, L = len(ids) // B (the rest dropped), as makeStreams."""
    length = len(ids) // batch
    return torch.from_numpy(ids[:batch * length].astype(np.int64).reshape(batch, length))


def evaluate(model, val, seq_len):
    """Mean cross-entropy (nats/char) over every position of the validation streams, state carried, no dropout."""
    model.eval()
    total, count, state = 0.0, 0, None
    positions = val.shape[1] - 1
    with torch.no_grad():
        for start in range(0, positions, seq_len):
            n = min(seq_len, positions - start)
            inputs, targets = val[:, start:start + n].t(), val[:, start + 1:start + n + 1].t()
            logits, state = model(inputs, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction='sum').item()
            count += targets.numel()
    model.train()
    return total / count


def ids_from_text(path, val_fraction):
    text = open(path, encoding='utf-8').read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text], dtype=np.int32)
    cut = len(ids) - int(math.floor(len(ids) * val_fraction))
    return ids[:cut], ids[cut:], len(chars)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', help='folder written by char-lm-vs-torch.ts (config, ids, initial weights)')
    p.add_argument('--text', help='a text file (instead of --data): ids and weights made here')
    p.add_argument('--input', choices=['one-hot', 'embedding'], default='one-hot')
    p.add_argument('--embed', type=int, default=32)
    p.add_argument('--layers', type=int, default=1)
    p.add_argument('--hidden', type=int, default=256)
    p.add_argument('--dropout', type=float, default=0.0)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--seq-len', type=int, default=64)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--clip', type=float, default=5.0)
    p.add_argument('--steps', type=int, default=3000)
    p.add_argument('--schedule', choices=['cosine', 'step', 'constant'], default='constant')
    p.add_argument('--warmup', type=int, default=0)
    p.add_argument('--min-lr-factor', type=float, default=0.1)
    p.add_argument('--step-size', type=int, default=1000)
    p.add_argument('--gamma', type=float, default=0.5)
    p.add_argument('--val-fraction', type=float, default=0.05)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--eval-at', default='500,1000,2000,3000', help='comma-separated steps to validate at')
    p.add_argument('--eval-every', type=int, default=0, help='also validate every N steps (0: only --eval-at)')
    p.add_argument('--time-limit', type=float, default=0, help='stop after this many minutes (0: no limit)')
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    if a.data:
        with open(os.path.join(a.data, 'config.json')) as f:
            meta = json.load(f)
        cfg, vocab = meta['config'], meta['vocabSize']
        train_ids = np.fromfile(os.path.join(a.data, 'train.i32'), dtype='<i4')
        val_ids = np.fromfile(os.path.join(a.data, 'val.i32'), dtype='<i4')
        eval_at = meta['evalAt']
    elif a.text:
        cfg = {'input': a.input, 'embed': a.embed, 'layers': a.layers, 'hidden': a.hidden, 'dropout': a.dropout,
               'batch': a.batch, 'seqLen': a.seq_len, 'lr': a.lr, 'clip': a.clip, 'steps': a.steps,
               'schedule': a.schedule, 'warmup': a.warmup, 'minLrFactor': a.min_lr_factor,
               'stepSize': a.step_size, 'gamma': a.gamma, 'valFraction': a.val_fraction}
        train_ids, val_ids, vocab = ids_from_text(a.text, a.val_fraction)
        eval_at = [int(s) for s in a.eval_at.split(',') if s]
    else:
        p.error('give --data DIR or --text FILE')

    model = CharModel(vocab, cfg['input'], cfg['embed'], cfg['hidden'], cfg['layers'], cfg['dropout'])
    init = os.path.join(a.data, 'init.safetensors') if a.data else None
    if init and os.path.exists(init):
        model.load_state_dict(read_safetensors(init))
    opt = torch.optim.Adam(model.parameters(), lr=cfg['lr'])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: lr_factor(cfg, e))
    T, B = cfg['seqLen'], cfg['batch']
    train = streams(train_ids, B)
    vb = meta['valBatch'] if a.data else max(1, min(B, len(val_ids) // (T + 1)))
    val = streams(val_ids, vb)
    chunks = (train.shape[1] - 1) // T
    every = a.eval_every
    print(f'torch {torch.__version__}, {torch.get_num_threads()} thread(s): {sum(p.numel() for p in model.parameters()):,} parameters, '
          f'{chunks} steps per pass, validation {vb} streams x {val.shape[1]}', file=sys.stderr)

    started, state, smooth = time.time(), None, None
    for step in range(1, cfg['steps'] + 1):
        index = (step - 1) % chunks
        if index == 0:
            state = None
        inputs, targets = train[:, index * T:index * T + T].t(), train[:, index * T + 1:index * T + T + 1].t()
        logits, state = model(inputs, state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
        opt.zero_grad()
        loss.backward()
        if cfg['clip'] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg['clip'])
        opt.step()
        sched.step()
        smooth = loss.item() if smooth is None else 0.95 * smooth + 0.05 * loss.item()
        elapsed = time.time() - started
        out_of_time = a.time_limit > 0 and elapsed > a.time_limit * 60
        if step in eval_at or (every and step % every == 0) or step == cfg['steps'] or out_of_time:
            v = evaluate(model, val, T)
            print(json.dumps({'step': step, 'val_loss': v, 'train_loss': smooth, 'seconds': round(time.time() - started, 1)}), flush=True)
            print(f'torch step {step}: val {v:.4f}, train {smooth:.4f} ({time.time() - started:.0f} s)', file=sys.stderr, flush=True)
        elif step % 50 == 0:
            print(f'torch step {step}/{cfg["steps"]}: train {smooth:.4f} ({elapsed:.0f} s)', file=sys.stderr, flush=True)
        if out_of_time:
            break


if __name__ == '__main__':
    main()
