"""Where each district's label goes on a map: inside the district where it fits, else outside with a leader line.

The map is laid out in pixels of the smallest plot it is drawn in (the pack's; a wider screen only adds room):
the districts are rasterised at :data:`RES` pixels. A label first tries its district's most inland points (the
distance transform's maximum is the pole of inaccessibility, the interior point farthest from the boundary:
Garcia-Castellanos & Lombardo 2007), larger districts first, and goes where most of its box lies in its district
and it covers no other label. A label that fits nowhere inside is set where its box covers no land and no label,
as near its district as can be, with a line to a dot in the district that crosses no label and no other line (the
callout of Imhof 1975, "Positioning names on maps"). If some callout finds no room, the map is drawn smaller and
everything is placed again.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from scipy import ndimage

from analytics.chart_access import plain

#: The figure width (pixels) a map's labels are laid out for: the pack's; a wider screen only adds room. The colour
#: bar and its title take COLOURBAR_PX of it, the title and margins MARGINS_PX of the height.
MAP_WIDTH, COLOURBAR_PX, MARGINS_PX = 660, 100, 90
#: Pixel size of a label's text (11 px DejaVu Sans, the charts' font) and the white box around it.
CHAR_PX, LINE_PX, PAD_PX = 6.8, 14.0, 8.0
RES = 2.0  # pixels per raster cell
GAP_PX = 6.0  # clear space kept between a callout's box and land or another label
INSIDE_SHARE = 0.85  # least share of an inside label's box on its own district (it may run over the edge a little)
MAX_ORDERED = 4  # callouts up to this many are tried in every order
SHRINK_STEPS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)  # map sizes tried, as shares of the largest that fits the plot


class NoRoom(ValueError):
    """No arrangement of the labels fits the plot at any of the map sizes tried."""


@dataclass(frozen=True)
class Placement:
    """One district's label: the point it names (inside the district) and the centre of its box (lon, lat)."""

    code: str
    anchor: tuple[float, float]
    centre: tuple[float, float]
    inside: bool


@dataclass(frozen=True)
class Layout:
    """Every label's placement and the axis ranges (lon, lat) of the plot they were placed in."""

    placements: tuple[Placement, ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def rings(geometry: dict) -> list[list[list[float]]]:
    """The exterior rings of a GeoJSON Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [polygon[0] for polygon in geometry["coordinates"]]


def label_size(text_lines: list[str]) -> tuple[float, float]:
    """Width and height in pixels of a label of these lines (HTML tags not counted)."""
    return max(len(plain(line)) for line in text_lines) * CHAR_PX + PAD_PX, len(text_lines) * LINE_PX + PAD_PX / 2


def rasterise(shapes: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Which cells of a (rows, columns) grid lie inside any of ``shapes`` (rings in cell units), by the even-odd
    rule on each row's centre line: every edge crossing a row flips the cells to its right."""
    rows, columns = shape
    flips = np.zeros((rows, columns + 1), dtype=np.int32)
    y = np.arange(rows)[:, None] + 0.5
    for ring in shapes:
        a, b = ring, np.roll(ring, -1, axis=0)
        crosses = (a[:, 1] > y) != (b[:, 1] > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
        row, edge = np.nonzero(crosses)
        first = np.clip(np.ceil(x[row, edge] - 0.5), 0, columns).astype(int)  # first cell centre right of it
        np.add.at(flips, (row, first), 1)
    return (np.cumsum(flips, axis=1)[:, :columns] % 2) == 1


def _box_sums(table: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Cells set inside each box (x0, y0, x1, y1 in cells, clipped) from a summed-area table."""
    rows, columns = table.shape[0] - 1, table.shape[1] - 1
    x0, x1 = (np.clip(np.round(boxes[:, i]).astype(int), 0, columns) for i in (0, 2))
    y0, y1 = (np.clip(np.round(boxes[:, i]).astype(int), 0, rows) for i in (1, 3))
    return table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]


def _summed(mask: np.ndarray) -> np.ndarray:
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1))
    table[1:, 1:] = mask.cumsum(axis=0).cumsum(axis=1)
    return table


def _overlaps(boxes: np.ndarray, placed: list[np.ndarray]) -> np.ndarray:
    hit = np.zeros(len(boxes), dtype=bool)
    for other in placed:
        hit |= ((boxes[:, 0] < other[2]) & (other[0] < boxes[:, 2]) & (boxes[:, 1] < other[3])
                & (other[1] < boxes[:, 3]))
    return hit


def _segments_cross(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> bool:
    """Whether segments p1-p2 and q1-q2 cross (orientation test)."""
    def turn(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    return (turn(p1, p2, q1) * turn(p1, p2, q2) < 0) and (turn(q1, q2, p1) * turn(q1, q2, p2) < 0)


def _leader_clear(anchor: np.ndarray, box: np.ndarray, boxes: list[np.ndarray],
                  leaders: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    """A line from ``anchor`` to the nearest point of ``box`` passes through no other label and crosses no line."""
    end = np.clip(anchor, box[:2], box[2:])
    steps = anchor + np.linspace(0, 1, 100)[:, None] * (end - anchor)
    through = any(np.any((steps[:, 0] > b[0]) & (steps[:, 0] < b[2]) & (steps[:, 1] > b[1]) & (steps[:, 1] < b[3]))
                  for b in boxes)
    return not through and not any(_segments_cross(anchor, end, *line) for line in leaders)


class _Grid:
    """The districts rasterised at one scale, in cells of RES pixels, origin at the plot's lower left."""

    def __init__(self, districts: dict[str, list[np.ndarray]], plot_px: tuple[float, float], scale: float) -> None:
        every = np.vstack([ring for shapes in districts.values() for ring in shapes])
        self.middle = (every.min(axis=0) + every.max(axis=0)) / 2
        self.origin = self.middle - np.array(plot_px) / 2 / scale
        self.cell = RES / scale  # projected units per cell
        shape = (int(plot_px[1] / RES), int(plot_px[0] / RES))
        self.masks = {code: rasterise([(ring - self.origin) / self.cell for ring in shapes], shape)
                      for code, shapes in districts.items()}
        self.land = _summed(np.logical_or.reduce(list(self.masks.values())))
        self.area = {code: int(mask.sum()) for code, mask in self.masks.items()}

    def inland(self, code: str) -> np.ndarray:
        """Cell centres of the district, most inland first."""
        distance = ndimage.distance_transform_edt(np.pad(self.masks[code], 1))[1:-1, 1:-1]
        rows, columns = np.nonzero(self.masks[code])
        order = np.argsort(-distance[rows, columns], kind="stable")
        return np.column_stack([columns[order] + 0.5, rows[order] + 0.5])

    def boxes(self, centres: np.ndarray, size_px: tuple[float, float]) -> np.ndarray:
        half = np.array(size_px) / RES / 2
        return np.hstack([centres - half, centres + half])


def _place_inside(grid: _Grid, sizes: dict[str, tuple[float, float]]) -> dict[str, np.ndarray]:
    """Boxes (cells) of the labels that fit on their district, larger districts first."""
    placed: dict[str, np.ndarray] = {}
    for code in sorted(grid.masks, key=lambda c: -grid.area[c]):
        points = grid.inland(code)
        if not len(points):
            continue
        boxes = grid.boxes(points, sizes[code])
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        share = _box_sums(_summed(grid.masks[code]), boxes) / area
        share[_overlaps(boxes, list(placed.values()))] = 0
        for least in (1.0, INSIDE_SHARE):  # the most inland box wholly on the district, else mostly on it
            if np.any(share >= least - 1e-9):
                placed[code] = boxes[int(np.argmax(share >= least - 1e-9))]
                break
    return placed


def _place_outside(grid: _Grid, sizes: dict[str, tuple[float, float]], placed: dict[str, np.ndarray],
                   anchors: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    """Boxes (cells) of the other labels off the land: of the orders in which they can be placed one by one, each
    as near its district as the ones before leave room for, the one with the shortest lines (every order up to
    MAX_ORDERED labels, else smallest district first); None if no order finds room for all."""
    codes = sorted(set(anchors) - set(placed), key=lambda c: grid.area[c])
    orders = itertools.permutations(codes) if len(codes) <= MAX_ORDERED else [tuple(codes)]
    tried = [_callouts_in_order(grid, sizes, placed, anchors, order) for order in orders]
    found = [callouts for callouts in tried if callouts is not None]
    return min(found, key=lambda callouts: sum(_leader_length(anchors[c], box) for c, box in callouts.items()),
               default=None)


def _leader_length(anchor: np.ndarray, box: np.ndarray) -> float:
    return float(np.hypot(*(np.clip(anchor, box[:2], box[2:]) - anchor)))


def _callouts_in_order(grid: _Grid, sizes: dict[str, tuple[float, float]], placed: dict[str, np.ndarray],
                       anchors: dict[str, np.ndarray], order: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    rows, columns = grid.land.shape[0] - 1, grid.land.shape[1] - 1
    leaders: list[tuple[np.ndarray, np.ndarray]] = []
    callouts: dict[str, np.ndarray] = {}
    for code in order:
        gap = GAP_PX / RES
        size = (sizes[code][0] + 2 * GAP_PX, sizes[code][1] + 2 * GAP_PX)
        xs, ys = np.meshgrid(np.arange(0, columns, 2.0), np.arange(0, rows, 2.0))
        boxes = grid.boxes(np.column_stack([xs.ravel(), ys.ravel()]), size)
        fits = ((boxes[:, 0] >= -gap) & (boxes[:, 1] >= -gap) & (boxes[:, 2] <= columns + gap)
                & (boxes[:, 3] <= rows + gap) & (_box_sums(grid.land, boxes) == 0))
        boxes = boxes[fits & ~_overlaps(boxes, [*placed.values(), *callouts.values()])] + [gap, gap, -gap, -gap]
        nearest = np.argsort(np.hypot(*(np.clip(anchors[code], boxes[:, :2], boxes[:, 2:]) - anchors[code]).T))
        box = next((boxes[i] for i in nearest
                    if _leader_clear(anchors[code], boxes[i], [*placed.values(), *callouts.values()], leaders)),
                   None)
        if box is None:
            return None
        callouts[code] = box
        leaders.append((anchors[code], np.clip(anchors[code], box[:2], box[2:])))
    return callouts


def place(rings_by_code: dict[str, list[list[list[float]]]], sizes: dict[str, tuple[float, float]],
          plot_px: tuple[float, float]) -> Layout:
    """Label positions for districts (lon/lat rings) with label ``sizes`` (pixels) in a plot of ``plot_px``.

    Longitudes are projected by the cosine of the mean latitude (as the map's axes are scaled), so a pixel is
    the same distance across and up.
    """
    mean_lat = float(np.mean([pt[1] for shapes in rings_by_code.values() for ring in shapes for pt in ring]))
    shrink = math.cos(math.radians(mean_lat))
    projected = {code: [np.array(ring, dtype=float) * (shrink, 1.0) for ring in shapes]
                 for code, shapes in rings_by_code.items()}
    every = np.vstack([ring for shapes in projected.values() for ring in shapes])
    span = every.max(axis=0) - every.min(axis=0)
    fitted = min(plot_px[0] / span[0], plot_px[1] / span[1])
    for step in SHRINK_STEPS:
        grid = _Grid(projected, plot_px, fitted * step)
        inside = _place_inside(grid, sizes)
        anchors = {code: grid.inland(code)[0] for code in grid.masks if grid.area[code]}
        callouts = _place_outside(grid, sizes, inside, anchors)
        if callouts is not None:
            break
    else:
        raise NoRoom(f"sizes: no room for the map's labels in a plot of {plot_px} pixels")

    def lon_lat(cells: np.ndarray) -> tuple[float, float]:
        x, y = grid.origin + np.asarray(cells) * grid.cell
        return float(x / shrink), float(y)

    boxes = inside | callouts
    placements = tuple(Placement(code, lon_lat(anchors[code]), lon_lat((boxes[code][:2] + boxes[code][2:]) / 2),
                                 code in inside) for code in rings_by_code if code in boxes)
    (x0, y0), (x1, y1) = lon_lat(np.zeros(2)), lon_lat(np.array(grid.masks[next(iter(grid.masks))].shape[::-1]))
    return Layout(placements, (x0, x1), (y0, y1))


def outline(geometry: dict) -> tuple[list[float | None], list[float | None]]:
    """A Polygon's or MultiPolygon's exterior rings as one trace's x and y, rings parted by None."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in rings(geometry):
        xs += [p[0] for p in ring] + [None]
        ys += [p[1] for p in ring] + [None]
    return xs, ys


def district_label(name: str, value: str, words: list[str], note: str) -> tuple[list[str], ...]:
    """A district's label lines, longest first: its name (``<br>`` where wrapped), value and verdict's words with
    the note; then without the words (the map's hatching still tells them); then the value and note alone."""
    names, value_line = name.split("<br>"), f"<b>{value}</b>"
    full = [*names, value_line, *words]
    full[-1] += note
    return full, [*names, value_line + note], [value_line + note]


def annotate(fig: go.Figure, geojson: dict, labels: dict[str, list[str]], code_property: str, height: int,
             shorter: tuple[dict[str, list[str]], ...] = ()) -> None:
    """One annotation per district of ``labels`` (its lines): inside the district where it fits, else beside the
    county with a leader line to a dot in the district; the axes get the ranges that hold every label.

    Where the labels find no room, each of the ``shorter`` sets (e.g. without the verdict's words, then the value
    alone) is tried in turn; where none fits, the map carries no labels and says so (its table has every figure),
    rather than labels over one another or no map at all."""
    shapes = {f["properties"][code_property]: rings(f["geometry"]) for f in geojson["features"]}
    plot_px = (MAP_WIDTH - 20 - COLOURBAR_PX, height - MARGINS_PX)
    for lines_of in (labels, *shorter):
        sizes = tuple((code, label_size(lines)) for code, lines in lines_of.items())
        layout = _placed(tuple((code, _frozen(shapes[code])) for code in lines_of), sizes, plot_px)
        if layout is not None:
            _draw(fig, layout, lines_of)
            return
    fig.add_annotation(text="District labels left out: no room for them at this size; the table has every figure.",
                       xref="paper", yref="paper", x=0, y=-0.02, xanchor="left", yanchor="top", showarrow=False,
                       font={"size": 11, "color": "#111111"})


@functools.lru_cache(maxsize=64)
def _placed(shapes: tuple, sizes: tuple, plot_px: tuple[float, float]) -> Layout | None:
    """:func:`place` (None where no room), once per geometry, label sizes and plot: a page rerun that redraws the
    same map does not rasterise and search again."""
    try:
        return place({code: [list(map(list, ring)) for ring in rings_] for code, rings_ in shapes}, dict(sizes),
                     plot_px)
    except NoRoom:
        return None


def _frozen(shapes: list[list[list[float]]]) -> tuple:
    return tuple(tuple(tuple(point) for point in ring) for ring in shapes)


def _draw(fig: go.Figure, layout: Layout, labels: dict[str, list[str]]) -> None:
    for placed in layout.placements:
        where = ({"x": placed.anchor[0], "y": placed.anchor[1], "showarrow": True, "ax": placed.centre[0],
                  "ay": placed.centre[1], "axref": "x", "ayref": "y", "arrowhead": 0, "arrowwidth": 1,
                  "arrowcolor": "#333333"} if not placed.inside
                 else {"x": placed.centre[0], "y": placed.centre[1], "showarrow": False})
        fig.add_annotation(text="<br>".join(labels[placed.code]), font={"size": 11, "color": "#111111"},
                           bgcolor="rgba(255,255,255,0.85)", **where)
    dots = [p for p in layout.placements if not p.inside]
    fig.add_trace(go.Scatter(x=[p.anchor[0] for p in dots], y=[p.anchor[1] for p in dots], mode="markers",
                             marker={"size": 5, "color": "#333333"}, hoverinfo="skip", showlegend=False))
    fig.update_xaxes(range=list(layout.x_range))
    fig.update_yaxes(range=list(layout.y_range))
