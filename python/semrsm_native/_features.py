"""Offline images and a fixed, seeded convolutional feature extractor for the demo and ``bench``.

Nothing here downloads anything: the photographs are the files that scikit-image ships inside its
wheel (read by path, so scikit-image's pooch-based fetcher is never involved), and the network's
weights are a fixed Gabor bank followed by seeded random convolutions.

The network is a small ResNet-style stack, conv -> batch norm -> ReLU -> max-pool:

* ``conv1``: a fixed bank of 16 oriented Gabor filters (8 orientations x 2 phases, on
  luminance) and 6 colour-opponent blobs, 7 x 7, stride 2; pooled: 1/4 of the input size.
* ``conv2``, ``conv3``: 3 x 3 convolutions with He-initialised weights drawn from a fixed seed,
  each followed by 2 x 2 max-pooling; ``conv4``: a further 3 x 3 convolution without pooling.

Batch norm uses statistics estimated on the batch being processed (what a trained network's
running statistics are: per-channel moments of its data). It matters: without it, every post-ReLU
channel has a large positive mean, flattened feature vectors are dominated by per-image channel
averages, and any two crops of the same photograph look alike whatever their alignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "DEMO_IMAGES",
    "image_path",
    "load_image",
    "RandomConvNet",
]

#: Photographs shipped inside scikit-image's wheel (``skimage/data``), colour first.
DEMO_IMAGES: tuple[str, ...] = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "ihc.png",
    "camera.png",
    "moon.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "coins.png",
    "page.png",
    "text.png",
)


def _skimage_data_dir() -> Path:
    try:
        import skimage
    except ImportError:
        raise ImportError(
            "the demo reads the photographs bundled with scikit-image; install it with "
            "pip install 'semrsm-native[demo]'"
        ) from None
    return Path(skimage.__file__).parent / "data"


def image_path(name: str) -> Path:
    """Return the path of a photograph bundled inside the installed scikit-image.

    Parameters
    ----------
    name : str
        File name inside ``skimage/data``, e.g. ``"astronaut.png"``.

    Returns
    -------
    pathlib.Path
        The existing file.

    Raises
    ------
    ImportError
        scikit-image is not installed.
    FileNotFoundError
        The installed scikit-image does not ship this file (it would have to be downloaded,
        which the demo never does).
    """
    path = _skimage_data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{name} is not shipped inside the installed scikit-image ({path.parent}); "
            "the demo uses only bundled files and never downloads"
        )
    return path


def load_image(name: str, short_side: int = 128) -> np.ndarray:
    """Load a bundled photograph as float64 RGB in [0, 1], resized so its short side is fixed.

    Parameters
    ----------
    name : str
        File name inside ``skimage/data`` (see :data:`DEMO_IMAGES`).
    short_side : int, default 128
        Length of the shorter side after resizing (anti-aliased); the aspect ratio is kept.

    Returns
    -------
    numpy.ndarray
        Array of shape (H, W, 3), float64. Grey-scale images are repeated into three channels;
        an alpha channel is dropped.
    """
    from skimage.io import imread
    from skimage.transform import resize

    img = np.asarray(imread(image_path(name)))
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    img = img[..., :3]
    if img.dtype.kind in "ui":
        img = img.astype(np.float64) / float(np.iinfo(img.dtype).max)
    else:
        img = img.astype(np.float64)
    h, w = img.shape[:2]
    s = short_side / min(h, w)
    return resize(img, (round(h * s), round(w * s)), anti_aliasing=True)


def _gabor_bank(size: int = 7) -> np.ndarray:
    """Fixed first-layer filters, (F, 3, size, size), each of unit norm and zero mean (Gabors)."""
    r = np.arange(size) - (size - 1) / 2
    yy, xx = np.meshgrid(r, r, indexing="ij")
    envelope_sigma, wavelength = 2.0, 4.0
    filters = []
    for theta in np.arange(8) * np.pi / 8:
        u = xx * np.cos(theta) + yy * np.sin(theta)
        v = -xx * np.sin(theta) + yy * np.cos(theta)
        for phase in (0.0, np.pi / 2):
            g = np.exp(-(u**2 + v**2) / (2 * envelope_sigma**2)) * np.cos(
                2 * np.pi * u / wavelength + phase
            )
            g -= g.mean()
            g /= np.linalg.norm(g)
            filters.append(np.stack([g / np.sqrt(3.0)] * 3))  # luminance: equal weight per channel
    blob = np.exp(-(xx**2 + yy**2) / (2 * envelope_sigma**2))
    blob /= np.linalg.norm(blob)
    for colour in ([1, -1, 0], [-1, 1, 0], [0.5, 0.5, -1], [-0.5, -0.5, 1], [1, 1, 1], [-1, -1, -1]):
        c = np.asarray(colour, dtype=np.float64)
        filters.append((c / np.linalg.norm(c))[:, None, None] * blob[None])
    return np.stack(filters)


def _conv(x: np.ndarray, w: np.ndarray, stride: int = 1) -> np.ndarray:
    """'Same' convolution (cross-correlation) with reflect padding: (N, C, H, W) -> (N, F, H', W')."""
    k = w.shape[-1]
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="reflect")
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,fcij->nfhw", win, w, optimize=True)


def _batch_norm(h: np.ndarray) -> np.ndarray:
    mean = h.mean(axis=(0, 2, 3), keepdims=True)
    std = h.std(axis=(0, 2, 3), keepdims=True)
    return (h - mean) / (std + 1e-5)


def _max_pool(h: np.ndarray) -> np.ndarray:
    n, c, hh, ww = h.shape
    h = h[:, :, : hh - hh % 2, : ww - ww % 2]
    return h.reshape(n, c, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))


class RandomConvNet:
    """A fixed-seed convolutional feature extractor in NumPy (see the module docstring).

    Parameters
    ----------
    seed : int, default 0
        Seed of the random 3 x 3 convolutions. The first layer is a fixed Gabor bank.
    widths : sequence of int, default (64, 128, 256)
        Output channels of ``conv2``, ``conv3`` and ``conv4``.
    batch_norm : bool, default True
        Standardise each channel with the batch's statistics before the ReLU. ``False`` gives
        the ablation the README quotes (large positive channel means after every ReLU).

    Attributes
    ----------
    layer_names : tuple of str
        ``("conv1", "conv2", "conv3", "conv4")``.
    downsampling : dict of str to int
        Input pixels per feature-map cell along each axis, per layer.
    """

    layer_names: tuple[str, ...] = ("conv1", "conv2", "conv3", "conv4")
    downsampling: dict[str, int] = {"conv1": 4, "conv2": 8, "conv3": 16, "conv4": 16}

    def __init__(self, seed: int = 0, widths: Sequence[int] = (64, 128, 256), batch_norm: bool = True) -> None:
        self.batch_norm = bool(batch_norm)
        if len(widths) != 3:
            raise ValueError(f"RandomConvNet: widths must have 3 entries, got {len(widths)}")
        rng = np.random.default_rng(seed)
        self.w1 = _gabor_bank()
        fan_in = self.w1.shape[0]
        self.weights: list[np.ndarray] = []
        for width in widths:
            # He initialisation keeps the activation scale through ReLU layers.
            self.weights.append(rng.standard_normal((width, fan_in, 3, 3)) * np.sqrt(2.0 / (fan_in * 9)))
            fan_in = width

    def __call__(self, images: np.ndarray, layers: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Compute the activations of a batch of images.

        Parameters
        ----------
        images : numpy.ndarray
            (N, 3, H, W) RGB in [0, 1]; H and W divisible by 16 keep every layer's grid exact.
        layers : sequence of str, optional
            Layers to return (default: all of :attr:`layer_names`).

        Returns
        -------
        dict of str to numpy.ndarray
            Layer name to (N, C, H', W') float32 post-ReLU activations.
        """
        x = np.asarray(images, dtype=np.float64)
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"RandomConvNet: expected (N, 3, H, W) images, got shape {x.shape}")
        wanted = tuple(layers) if layers is not None else self.layer_names
        unknown = [name for name in wanted if name not in self.layer_names]
        if unknown:
            raise ValueError(f"RandomConvNet: unknown layer {unknown[0]!r}; have {self.layer_names}")
        x = (x - 0.45) / 0.25
        out: dict[str, np.ndarray] = {}
        norm = _batch_norm if self.batch_norm else (lambda a: a)
        h = _max_pool(np.maximum(norm(_conv(x, self.w1, stride=2)), 0.0))
        out["conv1"] = h
        for name, w, pool in zip(self.layer_names[1:], self.weights, (True, True, False)):
            if all(n in out for n in wanted):
                break
            h = np.maximum(norm(_conv(h, w)), 0.0)
            if pool:
                h = _max_pool(h)
            out[name] = h
        return {name: out[name].astype(np.float32) for name in wanted}
