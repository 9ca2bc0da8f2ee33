"""FLOPs of a network, counted from the model itself.

What is counted
---------------
The number of **multiply-accumulate operations (MACs) of the convolution and linear layers for
one input image** (batch size 1), measured by running one forward pass with hooks on every
:class:`torch.nn.Conv2d` and :class:`torch.nn.Linear` module that actually executes:

* ``Conv2d``: ``out_channels * H_out * W_out * (in_channels / groups) * kernel_h * kernel_w``;
* ``Linear``: ``in_features * out_features``.

Not counted: bias additions, BatchNorm, ReLU, pooling, the additions that sum a cell's edges, and
``none`` edges (which the forward pass skips). As is usual in NAS papers (NB201 included), one
MAC is reported as one "FLOP"; ``flops_m`` is this count divided by 1e6. NB201's own tables also
count bias and pooling operations, so their FLOPs are slightly larger than these.

Examples
--------
>>> from nasbench.training.model import build_network
>>> net = build_network(6111, C=16, N=5)   # NB201's best CIFAR-10 cell, CIFAR-sized network
>>> count_flops(net, (3, 32, 32)) / 1e6
153.27296
"""

from __future__ import annotations

from nasbench.training._deps import require_torch
from nasbench.training.model import check_input_shape

torch = require_torch()
nn = torch.nn

__all__ = ["count_flops", "conv_macs", "linear_macs"]


def conv_macs(conv: nn.Conv2d, out_height: int, out_width: int) -> int:
    """MACs of one Conv2d layer for one image whose output map is ``out_height`` x ``out_width``."""
    kh, kw = conv.kernel_size
    return conv.out_channels * out_height * out_width * (conv.in_channels // conv.groups) * kh * kw


def linear_macs(linear: nn.Linear) -> int:
    """MACs of one Linear layer for one input vector."""
    return linear.in_features * linear.out_features


def count_flops(model: nn.Module, input_shape) -> int:
    """Count the MACs of ``model`` for one input of shape ``input_shape``.

    Parameters
    ----------
    model : torch.nn.Module
        Typically an :class:`~nasbench.training.model.NB201Network`. It is run once, in eval mode
        and without gradients, on a zero image on the model's device; its training mode is
        restored afterwards.
    input_shape : tuple of 3 ints
        ``(channels, height, width)`` of one image; height and width must be multiples of 4.

    Returns
    -------
    int
        Multiply-accumulates of all executed Conv2d and Linear layers (see the module docstring).

    Raises
    ------
    NasbenchError
        If ``input_shape`` is not a valid image shape.
    """
    shape = check_input_shape(input_shape)
    total = [0]

    def on_conv(module, inputs, output):
        total[0] += conv_macs(module, output.shape[-2], output.shape[-1])

    def on_linear(module, inputs, output):
        total[0] += linear_macs(module) * (output.numel() // module.out_features)

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(on_conv))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(on_linear))
    was_training = model.training
    try:
        device = next(model.parameters()).device
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *shape), device=device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return total[0]
