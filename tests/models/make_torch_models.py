"""Makes the small TorchScript (and matching ONNX) test models used by the TorchSharp tests, with PyTorch's reference
outputs, input gradients and Grad-CAM maps.

Run with Debian's interpreter (PyTorch 1.13; the `onnx` Python package is NOT needed):
    /usr/bin/python3 tests/models/make_torch_models.py

Writes, next to this script:
  digits_cnn.pt          TorchScript (torch.jit.trace) of a CNN trained (seed 0, 80% of the shipped digits) on raw
                         8x8 pixels (0..16): scale (/16) - conv1 (8 ch, 3x3, pad 1) - relu1 - pool1 (2x2 max) - conv2
                         (16 ch, 3x3, pad 1) - relu2 - flatten - fc (10) - softmax. Input [N, 1, 8, 8], output [N, 10]
                         probabilities of the digits 0..9. A Sequential, so its children run one by one reproduce it.
  digits_cnn.onnx        the same network behind a reshape: input "input" [N, 64], output "probabilities" [N, 10]
                         (opset 13, dynamic batch axis; metadata "class_names" = 0..9).
  diabetes_mlp.pt        TorchScript of a 10 -> 32 -> 32 -> 1 ReLU MLP trained (seed 0) on the raw diabetes rows (it
                         standardises its input itself). Input [N, 10], output [N, 1].
  diabetes_mlp.onnx      the same MLP: input "input" [N, 10], output "output" [N, 1] (metadata "feature_names").
  diabetes_mlp_state_dict.pt  the same MLP's weights saved with torch.save(state_dict): NOT TorchScript (the adapter
                         must refuse it with a hint).
  torch_reference.json   for each model: input rows, PyTorch's outputs, a target output per row and the gradient of
                         that output with respect to the row; for the CNN also Grad-CAM maps at conv2 (ReLU of the
                         channel-mean-gradient weighted sum of conv2's output, bilinearly upsampled to 8x8 with
                         align_corners=False) for the same targets.
"""
import json
import os
from collections import OrderedDict

import torch
from torch import nn

from make_onnx_models import HERE, Standardised, as_list, export, read_dataset


class Scale(nn.Module):
    def forward(self, x):
        return x / 16.0


class Flat(nn.Module):
    """Takes [N, 64] rows (what an ONNX adapter feeds) and runs the CNN on them as [N, 1, 8, 8] images."""

    def __init__(self, cnn):
        super().__init__()
        self.cnn = cnn

    def forward(self, x):
        return self.cnn(x.reshape(-1, 1, 8, 8))


def digits_cnn():
    return nn.Sequential(OrderedDict([
        ("scale", Scale()),
        ("conv1", nn.Conv2d(1, 8, 3, padding=1)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(8, 16, 3, padding=1)),
        ("relu2", nn.ReLU()),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(16 * 4 * 4, 10)),
        ("softmax", nn.Softmax(dim=1)),
    ]))


def input_gradients(model, rows, targets):
    x = rows.clone().requires_grad_(True)
    out = model(x)
    out.gather(1, torch.tensor(targets).unsqueeze(1)).sum().backward()
    return out.detach(), x.grad.detach()


def grad_cam(model, layer, rows, targets):
    captured = {}

    def hook(_module, _inputs, output):
        output.retain_grad()
        captured["a"] = output

    handle = layer.register_forward_hook(hook)
    out = model(rows)
    out.gather(1, torch.tensor(targets).unsqueeze(1)).sum().backward()
    handle.remove()
    a = captured["a"]
    weights = a.grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * a).sum(dim=1, keepdim=True))
    cam = nn.functional.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)
    return cam.detach().reshape(rows.shape[0], 64)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    reference = {"tolerance_note": "TorchSharp must reproduce these PyTorch 1.13 float32 values to about 1e-5 relative"}

    # --- digits CNN ---
    _, x, y = read_dataset("digits")
    order = torch.randperm(x.shape[0])
    train_rows, test_rows = order[: int(0.8 * len(order))], order[int(0.8 * len(order)):]
    images = x.reshape(-1, 1, 8, 8)
    labels = y.long()
    cnn = digits_cnn()
    optimiser = torch.optim.Adam(cnn.parameters(), lr=0.01)
    for _ in range(8):
        for batch in train_rows[torch.randperm(len(train_rows))].split(64):
            optimiser.zero_grad()
            logits = cnn[:-1](images[batch])
            nn.functional.cross_entropy(logits, labels[batch]).backward()
            optimiser.step()
    cnn.eval()
    with torch.no_grad():
        accuracy = float((cnn(images[test_rows]).argmax(1) == labels[test_rows]).float().mean())
    print("digits_cnn held-out accuracy", round(accuracy, 4))
    traced = torch.jit.trace(cnn, images[:2])
    traced.save(os.path.join(HERE, "digits_cnn.pt"))
    print("digits_cnn.pt", os.path.getsize(os.path.join(HERE, "digits_cnn.pt")), "bytes")
    export(Flat(cnn), x[:2], "digits_cnn.onnx", ["input"], ["probabilities"],
           metadata={"class_names": ",".join(str(d) for d in range(10))})
    picked = test_rows[:6]
    rows = images[picked]
    targets = [int(t) for t in labels[picked]]
    outputs, gradients = input_gradients(cnn, rows, targets)
    cams = grad_cam(cnn, cnn.conv2, rows, targets)
    reference["digits_cnn"] = {
        "heldOutAccuracy": accuracy, "inputShape": [1, 8, 8], "inputs": as_list(rows.reshape(-1, 64)),
        "outputs": as_list(outputs), "targets": targets, "inputGradients": as_list(gradients.reshape(-1, 64)),
        "gradCamLayer": "conv2", "gradCam": as_list(cams)}

    # --- diabetes MLP ---
    header, x, y = read_dataset("diabetes")
    mlp = Standardised(x.mean(0), x.std(0), y.mean(), y.std())
    optimiser = torch.optim.Adam(mlp.parameters(), lr=0.01)
    for _ in range(300):
        optimiser.zero_grad()
        (((mlp(x).squeeze(1) - y) ** 2).mean() / y.var()).backward()
        optimiser.step()
    mlp.eval()
    traced = torch.jit.trace(mlp, x[:2])
    traced.save(os.path.join(HERE, "diabetes_mlp.pt"))
    print("diabetes_mlp.pt", os.path.getsize(os.path.join(HERE, "diabetes_mlp.pt")), "bytes")
    torch.save(mlp.state_dict(), os.path.join(HERE, "diabetes_mlp_state_dict.pt"))
    export(mlp, x[:2], "diabetes_mlp.onnx", ["input"], ["output"], metadata={"feature_names": ",".join(header[:-1])})
    rows = torch.cat([x[:6], x.mean(0, keepdim=True)])
    outputs, gradients = input_gradients(mlp, rows, [0] * rows.shape[0])
    reference["diabetes_mlp"] = {
        "featureNames": header[:-1], "inputShape": [10], "inputs": as_list(rows), "outputs": as_list(outputs),
        "targets": [0] * rows.shape[0], "inputGradients": as_list(gradients)}

    with open(os.path.join(HERE, "torch_reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print("torch_reference.json")


if __name__ == "__main__":
    main()
