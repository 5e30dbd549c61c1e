"""Makes the small ONNX test models used by the adapter tests, and the PyTorch reference outputs they must reproduce.

Run with Debian's interpreter (PyTorch 1.13; the `onnx` Python package is NOT needed):
    /usr/bin/python3 tests/models/make_onnx_models.py

Writes, next to this script:
  Metadata (ModelProto.metadata_props): mlp10 and classifier4 carry "feature_names"; classifier4 carries "class_names".
  mlp10.onnx              10 -> 32 -> 32 -> 1 ReLU MLP trained (seed 0) on the shipped diabetes data. The input is the
                          raw, unscaled diabetes row (age, sex, bmi, bp, s1..s6); the graph standardises it itself and
                          returns the predicted disease progression. Input "input" [N, 10], output "output" [N, 1].
  linear4.onnx            y = w . x + b with known weights (see linear4 in reference_outputs.json). Input "input"
                          [N, 4], output "y" of shape [N] (a rank-1 output).
  linear4_batch3.onnx     the same linear model exported with a FIXED batch axis of 3 rows.
  classifier4.onnx        4 -> 16 -> 3 softmax classifier trained (seed 0) on the shipped iris data. Input "input"
                          [N, 4]; outputs "logits" [N, 3] and "probabilities" [N, 3].
  bad_int64_input.onnx    an int64 input (the adapter must refuse it).
  bad_rank3_input.onnx    a float input of rank 3 (the adapter must refuse it).
  reference_outputs.json  for each model: a few inputs and PyTorch's outputs for them, plus the linear weights.

All models use opset 13 and a dynamic batch axis (except linear4_batch3.onnx).
"""
import gzip
import io
import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = os.path.join(HERE, "..", "..", "src", "Interactive.Xai.Core", "Datasets")
OPSET = 13


def read_dataset(name):
    with gzip.open(os.path.join(DATASETS, name + ".csv.gz"), "rt", encoding="utf-8") as f:
        lines = f.read().strip().splitlines()
    header = lines[0].split(",")
    rows = [[float(v) for v in line.split(",")] for line in lines[1:]]
    data = torch.tensor(rows, dtype=torch.float32)
    return header, data[:, :-1], data[:, -1]


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def length_delimited(field, payload):
    return varint((field << 3) | 2) + varint(len(payload)) + payload


def metadata_entry(key, value):
    """ModelProto.metadata_props (field 14) holding one StringStringEntryProto {key = 1, value = 2}.

    Protobuf lets a field follow the others in any order, so appending this to a serialized ModelProto adds the entry
    without the `onnx` Python package (Debian's python3-onnx is not needed).
    """
    entry = length_delimited(1, key.encode("utf-8")) + length_delimited(2, value.encode("utf-8"))
    return length_delimited(14, entry)


def export(model, example, path, input_names, output_names, dynamic=True, metadata=None):
    model.eval()
    axes = None
    if dynamic:
        axes = {name: {0: "batch"} for name in input_names + output_names}
    buffer = io.BytesIO()
    torch.onnx.export(model, example, buffer, opset_version=OPSET, input_names=input_names,
                      output_names=output_names, dynamic_axes=axes, do_constant_folding=True)
    for key, value in (metadata or {}).items():
        buffer.write(metadata_entry(key, value))
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(buffer.getvalue())
    print(path, len(buffer.getvalue()), "bytes")


def as_list(t):
    return [[float(v) for v in row] for row in t.tolist()] if t.dim() == 2 else [float(v) for v in t.tolist()]


class Standardised(nn.Module):
    """Standardises the raw input with constants, runs an MLP and rescales its output."""

    def __init__(self, mean, std, y_mean, y_std):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.y_mean = float(y_mean)
        self.y_std = float(y_std)
        self.net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.net((x - self.mean) / self.std) * self.y_std + self.y_mean


class Linear4(nn.Module):
    def __init__(self, weights, bias):
        super().__init__()
        self.linear = nn.Linear(4, 1)
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([weights]))
            self.linear.bias.copy_(torch.tensor([bias]))

    def forward(self, x):
        return self.linear(x).squeeze(-1)


class Classifier(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.net = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))

    def forward(self, x):
        logits = self.net((x - self.mean) / self.std)
        return logits, torch.softmax(logits, dim=1)


class Int64Input(nn.Module):
    def forward(self, x):
        return x.float() * 2.0


class Rank3Input(nn.Module):
    def forward(self, x):
        return x.sum(dim=2)


def train(model, inputs, loss_of, epochs, lr):
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = loss_of(model(inputs))
        loss.backward()
        optimiser.step()
    return float(loss)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    reference = {"tolerance_note": "ONNX Runtime must reproduce these PyTorch float32 outputs to about 1e-4 relative"}

    # --- mlp10: diabetes regression on raw inputs ---
    header, x, y = read_dataset("diabetes")
    mlp = Standardised(x.mean(0), x.std(0), y.mean(), y.std())
    final = train(mlp, x, lambda out: ((out.squeeze(1) - y) ** 2).mean() / y.var(), epochs=400, lr=0.01)
    print("mlp10 final relative MSE", round(final, 4))
    export(mlp, x[:2], "mlp10.onnx", ["input"], ["output"], metadata={"feature_names": ",".join(header[:-1])})
    rows = torch.cat([x[:8], x.mean(0, keepdim=True)])
    with torch.no_grad():
        reference["mlp10"] = {"featureNames": header[:-1], "inputs": as_list(rows), "outputs": as_list(mlp(rows))}

    # --- linear4: known weights ---
    weights, bias = [1.5, -2.0, 0.25, 3.0], 0.5
    linear = Linear4(weights, bias)
    export(linear, torch.zeros(2, 4), "linear4.onnx", ["input"], ["y"])
    export(linear, torch.zeros(3, 4), "linear4_batch3.onnx", ["input"], ["y"], dynamic=False)
    probe = torch.tensor([[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 8.0, -2.5]])
    with torch.no_grad():
        reference["linear4"] = {"weights": weights, "bias": bias, "inputs": as_list(probe),
                                "outputs": as_list(linear(probe))}

    # --- classifier4: iris softmax classifier ---
    header, x, y = read_dataset("iris")
    classifier = Classifier(x.mean(0), x.std(0))
    labels = y.long()
    final = train(classifier, x, lambda out: nn.functional.cross_entropy(out[0], labels), epochs=300, lr=0.02)
    with torch.no_grad():
        accuracy = float((classifier(x)[0].argmax(1) == labels).float().mean())
    print("classifier4 final loss", round(final, 4), "accuracy", round(accuracy, 3))
    export(classifier, x[:2], "classifier4.onnx", ["input"], ["logits", "probabilities"],
           metadata={"feature_names": ",".join(header[:-1]), "class_names": "setosa,versicolor,virginica"})
    rows = x[[0, 1, 50, 51, 100, 101]]
    with torch.no_grad():
        logits, probabilities = classifier(rows)
    reference["classifier4"] = {"featureNames": header[:-1], "inputs": as_list(rows),
                                "logits": as_list(logits), "probabilities": as_list(probabilities)}

    # --- models the adapter must refuse ---
    export(Int64Input(), torch.zeros(2, 3, dtype=torch.int64), "bad_int64_input.onnx", ["input"], ["output"])
    export(Rank3Input(), torch.zeros(2, 3, 4), "bad_rank3_input.onnx", ["input"], ["output"])

    with open(os.path.join(HERE, "reference_outputs.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print("reference_outputs.json")


if __name__ == "__main__":
    main()
