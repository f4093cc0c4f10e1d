"""Seeded random weights that still make an input-dependent, well-scaled network, for the test exports."""

from typing import Callable

import torch


def batchnorms(net: torch.nn.Module) -> list[torch.nn.BatchNorm2d]:
    return [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]


def randomise_affine(net: torch.nn.Module, generator: torch.Generator) -> None:
    with torch.no_grad():
        for m in batchnorms(net):
            m.weight.copy_(0.5 + torch.rand(m.num_features, generator=generator))
            m.bias.copy_(0.2 * torch.randn(m.num_features, generator=generator))


def calibrate(net: torch.nn.Module, forward: Callable[[torch.Tensor], torch.Tensor], size: int, generator: torch.Generator) -> None:
    """Running statistics measured on smooth random images. With default (or random) statistics a deep random network
    collapses to nearly the same output for every image, and a comparison against it could not tell one
    preprocessing from another; calibrated, each layer sees unit-scale activations."""
    images = torch.nn.functional.interpolate(torch.randn(16, 3, 8, 8, generator=generator), size=size, mode="bilinear")
    calibrate_on(net, lambda: forward(images))


def calibrate_on(net: torch.nn.Module, run: Callable[[], object]) -> None:
    """The norms' running statistics: the cumulative average over what `run` feeds them, the rest in eval mode."""
    norms = batchnorms(net)
    with torch.no_grad():
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batch
        net.eval()
        for m in norms:
            m.train()  # only the norms: dropout and drop-connect stay off
        run()
        net.eval()


def randomise_batchnorm(net: torch.nn.Module, forward: Callable[[torch.Tensor], torch.Tensor], size: int, generator: torch.Generator) -> None:
    randomise_affine(net, generator)
    calibrate(net, forward, size, generator)


def damp_residual_branches(net: torch.nn.Module, factor: float = 0.2) -> None:
    """Each ResNet Bottleneck's last norm small, as training leaves it: dozens of random residual branches at full
    scale would grow the residual stream a thousandfold and drown a comparison in float32 rounding of that size."""
    from torchvision.models.resnet import Bottleneck

    with torch.no_grad():
        for block in net.modules():
            if isinstance(block, Bottleneck):
                block.bn3.weight.mul_(factor)
