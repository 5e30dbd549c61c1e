"""Makes digits_cnn_nchw.onnx: the digits CNN of digits_cnn.pt exported as torch.onnx.export writes image models, with
an input "input" of shape [batch, 1, 8, 8] (no reshape in front), output "probabilities" [batch, 10] (opset 13,
dynamic batch axis, metadata "class_names" = 0..9). Also writes digits_cnn_nchw_reference.json: a few digits (as
flattened 64-value rows) and PyTorch's outputs for them.

Run with Debian's interpreter (PyTorch 1.13; the `onnx` Python package is NOT needed), after make_torch_models.py:
    /usr/bin/python3 tests/models/make_image_onnx_model.py
"""
import json
import os

import torch

from make_onnx_models import HERE, as_list, export, read_dataset


def main():
    torch.manual_seed(0)
    cnn = torch.jit.load(os.path.join(HERE, "digits_cnn.pt"))
    cnn.eval()
    _, x, _ = read_dataset("digits")
    images = x[:6].reshape(-1, 1, 8, 8)
    export(cnn, images[:2], "digits_cnn_nchw.onnx", ["input"], ["probabilities"],
           metadata={"class_names": ",".join(str(d) for d in range(10))})
    with torch.no_grad():
        outputs = cnn(images)
    reference = {"inputs": as_list(images.reshape(-1, 64)), "outputs": as_list(outputs)}
    with open(os.path.join(HERE, "digits_cnn_nchw_reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print("digits_cnn_nchw_reference.json")


if __name__ == "__main__":
    main()
