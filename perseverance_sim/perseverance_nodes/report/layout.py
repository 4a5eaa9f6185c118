# Copyright 2026 The Perseverance Sample Return Simulation Authors
# SPDX-License-Identifier: Apache-2.0
"""
Figures laid out in pixels: an axes box placed exactly, and the data <-> pixel transform it has.

A figure drawn this way and saved at its own dpi (no tight bounding box) has its axes where
``PixelFrame.box`` says, so ``to_pixel`` is exactly where matplotlib drew a data point: tests
read the PNG there.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PixelFrame:
    """
    Data limits at the axes' edges and the axes box in the image (px, origin top left).

    ``x_min``/``x_max`` are the data values at the left/right edge, ``y_min``/``y_max`` at the
    bottom/top edge (``y_min`` > ``y_max`` for an axis that grows downwards).
    """

    x_min: float
    x_max: float
    y_min: float
    y_max: float
    box: tuple      # left, top, width, height (px)
    size: tuple     # image width, height (px)
    dpi: int = 100

    def to_pixel(self, x, y):
        """Return (column, row) in the image (row 0 at the top) of data points (x, y)."""
        left, top, width, height = self.box
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        column = left + (x - self.x_min) / (self.x_max - self.x_min) * width
        row = top + (self.y_max - y) / (self.y_max - self.y_min) * height
        return column, row

    def figure(self):
        """Return a matplotlib Figure of the image's size and axes placed on the box."""
        from matplotlib.figure import Figure
        width, height = self.size
        figure = Figure(figsize=(width / self.dpi, height / self.dpi), dpi=self.dpi)
        left, top, box_width, box_height = self.box
        axes = figure.add_axes((left / width, 1 - (top + box_height) / height,
                                box_width / width, box_height / height))
        axes.set_xlim(self.x_min, self.x_max)
        axes.set_ylim(self.y_min, self.y_max)
        axes.set_autoscale_on(False)
        return figure, axes

    def figure_point(self, column, row):
        """Return figure coordinates (0..1, origin bottom left) of an image pixel position."""
        width, height = self.size
        return column / width, 1 - row / height
