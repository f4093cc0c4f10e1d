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
    norms = batchnorms(net)
    with torch.no_grad():
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batch
        images = torch.nn.functional.interpolate(torch.randn(16, 3, 8, 8, generator=generator), size=size, mode="bilinear")
        net.eval()
        for m in norms:
            m.train()  # only the norms: dropout and drop-connect stay off
        forward(images)
        net.eval()


def randomise_batchnorm(net: torch.nn.Module, forward: Callable[[torch.Tensor], torch.Tensor], size: int, generator: torch.Generator) -> None:
    randomise_affine(net, generator)
    calibrate(net, forward, size, generator)
