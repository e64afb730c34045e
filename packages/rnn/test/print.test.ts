// A recurrent module prints its settings and PyTorch-named parameters with shapes; summary counts them.
import { describe, expect, it } from 'vitest';
import { summary } from '@unroll/autograd';
import { GRU, LSTM } from '@unroll/rnn';

describe('recurrent module printing', () => {
  it('String(lstm) shows the settings, every parameter with its shape, and the count', () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    const text = String(lstm);
    expect(text.split('\n')[0]).toBe('LSTM(inputSize=3, hiddenSize=4, numLayers=2, bidirectional=true, batchFirst=false, dropout=0)  # 736 params:');
    for (const name of ['weight_ih_l0 [16, 3]', 'weight_hh_l0_reverse [16, 4]', 'weight_ih_l1 [16, 8]', 'bias_hh_l1_reverse [16]']) {
      expect(text).toContain(name);
    }
    expect(lstm.numParameters()).toBe(736);
  });

  it('summary(gru) totals what numParameters counts', () => {
    const gru = new GRU({ inputSize: 5, hiddenSize: 6 });
    expect(summary(gru)).toContain(`Total params: ${gru.numParameters()}`);
    expect(summary(gru)).toMatch(/\.weight_hh_l0\s+\[18, 6\]\s+108/);
  });
});
