"""The demo 3D UNet (shared by train.py and bench/inference/bench_torch.py).

Input  [batch, 1, D, H, W] = NCDHW, D = slices (k), H = rows (j), W = columns (i): the volume's
own memory order i + nx*(j + ny*k). Output: one logit channel of the same spatial shape.
Four resolutions (channels base, 2*base, 4*base, bottleneck 8*base); each block is
two (Conv3d 3x3x3 -> BatchNorm3d -> ReLU); downsampling by 2x2x2 max-pooling, upsampling by a
2x2x2 stride-2 transposed convolution; skip connections by concatenation.
Spatial sizes must be divisible by 8.
"""
import torch
from torch import nn


def block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True),
    )


class UNet3D(nn.Module):
    def __init__(self, base: int = 8):
        super().__init__()
        c1, c2, c3, c4 = base, 2 * base, 4 * base, 8 * base
        self.enc1, self.enc2, self.enc3 = block(1, c1), block(c1, c2), block(c2, c3)
        self.bottom = block(c3, c4)
        self.pool = nn.MaxPool3d(2)
        self.up3, self.dec3 = nn.ConvTranspose3d(c4, c3, 2, stride=2), block(2 * c3, c3)
        self.up2, self.dec2 = nn.ConvTranspose3d(c3, c2, 2, stride=2), block(2 * c2, c2)
        self.up1, self.dec1 = nn.ConvTranspose3d(c2, c1, 2, stride=2), block(2 * c1, c1)
        self.head = nn.Conv3d(c1, 1, 1)

    def forward(self, ct: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(ct)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        b = self.bottom(self.pool(e3))
        d3 = self.dec3(torch.cat([self.up3(b), e3], 1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.head(d1)


def param_count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
