// Interop with PyTorch through committed fixtures (see fixtures/make_fixtures.py): torch → unroll values, unroll → torch bytes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/checkpoint/safetensors.js';
import {
  UNROLL_FIXTURE_METADATA, fixtureNumber, fixturePath, fixtureTensors, readTorchFixture, unrollFixtureBytes,
} from './fixtures/write-unroll-fixture.js';
import { expectSameTensor } from './helpers.js';

const fixture = readTorchFixture();
const torchFile = new Uint8Array(readFileSync(fixturePath('torch-written.safetensors')));
const unrollFile = new Uint8Array(readFileSync(fixturePath('unroll-written.safetensors')));
const REGENERATE = 'regenerate with: pnpm exec tsx --conditions=unroll-source packages/autograd/test/checkpoint/fixtures/write-unroll-fixture.ts,'
  + ' then confirm in torch: /usr/bin/python3 packages/autograd/test/checkpoint/fixtures/make_fixtures.py --check';

describe('torch → unroll', () => {
  const { tensors, metadata } = decodeSafetensors(torchFile);

  it('reads every tensor torch wrote (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)', () => {
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(fixture.tensors).sort());
    expect(new Set(Object.values(fixture.tensors).map((e) => e.dtype)))
      .toEqual(new Set(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL']));
    expect(metadata).toEqual(fixture.metadata);
  });

  it.each(Object.entries(fixture.tensors))('%s has the dtype, shape and exact values torch recorded', (name, entry) => {
    const t = tensors[name]!;
    expect(t.dtype).toBe(entry.unrollDtype);
    expect(t.shape).toEqual(entry.shape);
    const values = Array.from(t.values());
    expect(values.length).toBe(entry.values.length);
    // Object.is: NaN equals NaN and −0 differs from 0.
    entry.values.forEach((v, i) => {
      if (!Object.is(values[i], fixtureNumber(v))) throw new Error(`${name}[${i}]: unroll read ${values[i]}, torch wrote ${String(v)}`);
    });
  });
});

describe('unroll → torch', () => {
  it('encodeSafetensors of the fixture values is byte-identical to the committed file torch checked', () => {
    const same = Buffer.from(unrollFixtureBytes()).equals(Buffer.from(unrollFile));
    expect(same, `unroll-written.safetensors no longer matches what encodeSafetensors writes; ${REGENERATE}`).toBe(true);
  });

  it('and so is decoding the torch file and encoding it again', () => {
    const { tensors } = decodeSafetensors(torchFile);
    expect(Buffer.from(encodeSafetensors(tensors, UNROLL_FIXTURE_METADATA)).equals(Buffer.from(unrollFile))).toBe(true);
  });

  it('the committed unroll file reads back as the fixture values', () => {
    const { tensors, metadata } = decodeSafetensors(unrollFile);
    expect(metadata).toEqual(UNROLL_FIXTURE_METADATA);
    for (const [name, t] of Object.entries(fixtureTensors(fixture))) expectSameTensor(tensors[name], t, name);
  });

  const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
  it.runIf(hasTorch)('torch reads the committed unroll file as its own tensors (make_fixtures.py --check)', () => {
    const r = spawnSync('/usr/bin/python3', [fixturePath('make_fixtures.py'), '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/ok: unroll-written\.safetensors reads back in torch/);
  });
});
