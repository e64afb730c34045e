// Every chainable Tensor method (declared in src/fluent.ts) has a doc comment — what the API reference
// shows — and is attached to the prototype.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Tensor } from '@unroll/autograd';

const source = readFileSync(new URL('../src/fluent.ts', import.meta.url), 'utf8');
const block = source.slice(source.indexOf('interface Tensor {'), source.indexOf('\n  }\n}'));
const lines = block.split('\n');
const methods = lines.flatMap((line, i) => {
  const m = /^ {4}(\w+)\(/.exec(line);
  return m ? [{ name: m[1]!, documented: /\*\/\s*$/.test(lines[i - 1] ?? '') }] : [];
});

describe('chainable Tensor methods', () => {
  it('are all declared with a doc comment', () => {
    expect(methods.length).toBeGreaterThanOrEqual(37);
    expect(methods.filter((m) => !m.documented).map((m) => m.name)).toEqual([]);
  });
  it('are all attached to Tensor.prototype', () => {
    const proto = Tensor.prototype as unknown as Record<string, unknown>;
    expect(methods.filter((m) => typeof proto[m.name] !== 'function').map((m) => m.name)).toEqual([]);
  });
});
