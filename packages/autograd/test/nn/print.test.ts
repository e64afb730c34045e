// How modules print: a PyTorch-like tree with settings, parameter shapes and counts (String, util.inspect),
// extraRepr overrides, shared and frozen parameters, and summary()'s table.
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { Embedding, Linear, Module, Parameter, Sequential, summary, zeros } from '@unroll/autograd';

class Net extends Module {
  readonly embed = this.registerModule('embed', new Embedding(10, 4));
  readonly head = this.registerModule('head', new Sequential(new Linear(4, 3), new Linear(3, 10, { bias: false })));
  readonly scale = this.registerParameter('scale', new Parameter(zeros([1])));
}

describe('module printing', () => {
  it('prints a tree with settings, parameter shapes and counts', () => {
    expect(String(new Net())).toBe([
      'Net(  # scale [1] · 1 params',
      '  (embed): Embedding(numEmbeddings=10, embeddingDim=4)  # weight [10, 4] · 40 params',
      '  (head): Sequential(',
      '    (0): Linear(inFeatures=4, outFeatures=3)  # weight [3, 4], bias [3] · 15 params',
      '    (1): Linear(inFeatures=3, outFeatures=10)  # weight [10, 3] · 30 params',
      '  )  # 45 params',
      ')  # 86 params',
    ].join('\n'));
    expect(inspect(new Net())).toBe(String(new Net()));
    expect(inspect({ model: new Linear(2, 1) })).toContain('model: Linear(inFeatures=2, outFeatures=1)  # weight [1, 2], bias [1] · 3 params');
  });

  it('uses extraRepr, shows container settings inside the block, wraps long parameter lists', () => {
    class Gate extends Module {
      readonly units = 3;
      readonly mode = 'soft';
      readonly w = Array.from({ length: 8 }, (_, i) => this.registerParameter(`weight_number_${i}`, new Parameter(zeros([3, 3]))));
      override extraRepr(): string { return `units=${this.units}`; }
    }
    class Outer extends Module {
      readonly depth = 2;
      readonly gate = this.registerModule('gate', new Gate());
    }
    const lines = String(new Outer()).split('\n');
    expect(lines[0]).toBe('Outer(');
    expect(lines[1]).toBe('  depth=2');
    expect(lines[2]).toBe('  (gate): Gate(units=3)  # 72 params:');
    expect(lines.slice(3, -1).join(' ')).toContain('weight_number_0 [3, 3], weight_number_1 [3, 3]');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(lines.at(-1)).toBe(')  # 72 params');
  });

  it('summary lists modules and parameters, counting shared ones once and frozen ones apart', () => {
    const a = new Linear(2, 2);
    const model = new Sequential(a, a, new Linear(2, 1));
    model.parameters()[3]!.requiresGrad = false; // the last bias
    const text = summary(model);
    expect(text.split('\n')).toEqual([
      'Name         Type        Shape   Params',
      '---------------------------------------',
      '(model)      Sequential               9',
      '  0          Linear                   6',
      '    .weight              [2, 2]       4',
      '    .bias                [2]          2',
      '  1          Linear                   0',
      '  2          Linear                   3',
      '    .weight              [1, 2]       2',
      '    .bias    frozen      [1]          1',
      '=======================================',
      'Total params: 9',
      'Trainable params: 8',
      'Frozen params: 1',
    ]);
  });
});
