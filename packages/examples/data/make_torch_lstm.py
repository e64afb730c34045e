"""A small PyTorch LSTM moved to unroll as JSON: writes torch-lstm.json next to this file with
the module options, its state dict (float32, PyTorch's names, as nested lists), an input and
torch's output and final state. packages/examples/scripts/torch-weights.ts loads it.

    /usr/bin/python3 packages/examples/data/make_torch_lstm.py
"""
import json
import os

import torch

torch.manual_seed(0)
options = {'inputSize': 5, 'hiddenSize': 8, 'numLayers': 2}
lstm = torch.nn.LSTM(options['inputSize'], options['hiddenSize'], num_layers=options['numLayers'])
x = torch.randn(7, 3, options['inputSize'])  # [time, batch, input]
with torch.no_grad():
    output, (h_n, c_n) = lstm(x)

data = {
    'description': 'torch.nn.LSTM(5, 8, num_layers=2) in float32, made by make_torch_lstm.py',
    'torch': torch.__version__,
    'options': options,
    # The whole move: every tensor of the state dict as a nested list, under its torch name.
    'stateDict': {name: t.tolist() for name, t in lstm.state_dict().items()},
    'input': x.tolist(),
    'output': output.tolist(),
    'h_n': h_n.tolist(),
    'c_n': c_n.tolist(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torch-lstm.json')
with open(path, 'w') as f:
    json.dump(data, f)
    f.write('\n')
print(f'wrote {path}')
