"""PyTorch's input gradients of the committed digits_cnn.pt at batch sizes 1, 64 and 512, with 1 and 2 threads, for
the gradient-correctness tests (issue 12). PyTorch 1.13 from Debian does not run oneDNN's AVX-512 convolution
backward kernels that libtorch 2.10 gets wrong on some AVX-512 CPUs, and every value below is also checked against a
float64 computation: the script stops if PyTorch's float32 gradients at any batch size or thread count differ from
float64 ones by more than 1e-5 of the largest gradient.

Run with Debian's interpreter (PyTorch 1.13):
    /usr/bin/python3 tests/models/make_gradient_reference.py

Writes digits_cnn_gradients.json next to this script:
  heldOut         the 360 held-out digit indices (rows of the shipped digits data, 0-based) of make_torch_models.py's
                  split (torch.manual_seed(0); torch.randperm(1797); the last 20 %).
  rows            512 digit indices: the held-out ones, then the first training ones, in that order.
  targets         PyTorch's predicted class for each of those rows.
  outputs         base64 of little-endian float32 [512, 10]: the CNN's probabilities.
  inputGradients  base64 of little-endian float32 [512, 64]: d output[target] / d input for each row, computed as
                  one batch of 512 with 1 thread.
"""
import base64
import json
import os

import torch

from make_onnx_models import HERE, read_dataset


def gradients(model, rows, targets, batch):
    outs, grads = [], []
    for start in range(0, rows.shape[0], batch):
        x = rows[start:start + batch].clone().requires_grad_(True)
        out = model(x)
        out.gather(1, targets[start:start + batch].unsqueeze(1)).sum().backward()
        outs.append(out.detach())
        grads.append(x.grad.detach())
    return torch.cat(outs), torch.cat(grads)


def relative(a, b):
    """max |a - b| / max |b| over the whole batch (single rows with a saturated softmax have gradients near 1e-9,
    below float32's resolution of the logits)."""
    return float((a - b).abs().max() / b.abs().max())


def as_base64(t):
    return base64.b64encode(t.contiguous().numpy().astype("<f4").tobytes()).decode("ascii")


def main():
    torch.manual_seed(0)
    _, x, _ = read_dataset("digits")
    order = torch.randperm(x.shape[0])
    held_out = order[int(0.8 * len(order)):]
    train = order[: int(0.8 * len(order))]
    picked = torch.cat([held_out, train[: 512 - len(held_out)]])
    images = x[picked].reshape(-1, 1, 8, 8)
    model = torch.jit.load(os.path.join(HERE, "digits_cnn.pt"))
    model.eval()
    with torch.no_grad():
        targets = model(images).argmax(1)

    model64 = torch.jit.load(os.path.join(HERE, "digits_cnn.pt")).double()
    _, g64 = gradients(model64, images.double(), targets, 512)
    torch.set_num_threads(1)
    outputs, reference = gradients(model, images, targets, 512)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for batch in (1, 64, 512):
            _, g = gradients(model, images, targets, batch)
            error = relative(g.double(), g64)
            print(f"threads {threads} batch {batch}: float32 vs float64 relative difference {error:.2e}")
            assert error <= 1e-5, error

    result = {
        "note": "PyTorch 1.13 input gradients of digits_cnn.pt (see make_gradient_reference.py)",
        "inputShape": [1, 8, 8], "heldOut": [int(i) for i in held_out], "rows": [int(i) for i in picked],
        "targets": [int(t) for t in targets], "outputs": as_base64(outputs.reshape(-1, 10)),
        "inputGradients": as_base64(reference.reshape(-1, 64)),
    }
    with open(os.path.join(HERE, "digits_cnn_gradients.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)
        f.write("\n")
    print("digits_cnn_gradients.json", os.path.getsize(os.path.join(HERE, "digits_cnn_gradients.json")), "bytes")


if __name__ == "__main__":
    main()
