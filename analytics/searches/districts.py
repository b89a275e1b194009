"""Where a search happened: each geolocated search assigned to a district by point-in-polygon (even-odd ray
casting over numpy arrays; no GIS dependency), for the forces whose district boundaries ship with the
monitor (``analytics.reference``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import reference

LOCATION_NOT_PUBLISHED = "Location not published"
OUTSIDE_DISTRICTS = "Outside the district boundaries"
NO_BOUNDARIES = "Located (no district boundaries for this force)"
#: Forces whose district boundaries ship with the project (fixed list).
FORCE_BOUNDARIES = {"norfolk": reference.NORFOLK_DISTRICTS}


@lru_cache(maxsize=4)
def _polygons(path: str) -> tuple[tuple[str, tuple[np.ndarray, ...]], ...]:
    """(area code, rings) per polygon part of each feature; rings[0] is the exterior, the rest holes."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    parts = []
    for feature in document["features"]:
        code = feature["properties"]["areacd"]
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            parts.append((code, tuple(np.asarray(ring, dtype=float)[:, :2] for ring in polygon)))
    return tuple(parts)


def _inside(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd ray casting: for each point, whether a ray to +x crosses the ring an odd number of times."""
    xs, ys = ring[:, 0], ring[:, 1]
    x1, y1, x2, y2 = xs[:-1], ys[:-1], xs[1:], ys[1:]
    if not (xs[0] == xs[-1] and ys[0] == ys[-1]):  # close the ring
        x1, y1 = np.append(x1, xs[-1]), np.append(y1, ys[-1])
        x2, y2 = np.append(x2, xs[0]), np.append(y2, ys[0])
    px, py = x[:, None], y[:, None]
    straddles = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    return ((straddles & (px < crossing_x)).sum(axis=1) % 2) == 1


def assign_districts(longitude: np.ndarray, latitude: np.ndarray, boundaries: Path) -> list[str | None]:
    """The district code containing each point (None where no polygon contains it)."""
    x, y = np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    result: list[str | None] = [None] * len(x)
    if not len(x):
        return result
    for code, rings in _polygons(str(boundaries)):
        exterior = rings[0]
        candidates = np.flatnonzero(
            (x >= exterior[:, 0].min()) & (x <= exterior[:, 0].max())
            & (y >= exterior[:, 1].min()) & (y <= exterior[:, 1].max())
        )
        candidates = candidates[[result[i] is None for i in candidates]] if len(candidates) else candidates
        if not len(candidates):
            continue
        inside = _inside(exterior, x[candidates], y[candidates])
        for hole in rings[1:]:
            inside &= ~_inside(hole, x[candidates], y[candidates])
        for index in candidates[inside]:
            result[index] = code
    return result



def assign_locations(frame: pd.DataFrame, force: str) -> None:
    """Add ``area_code`` and ``location_status`` to parsed searches (district, outside, not published)."""
    located = frame["latitude"].notna() & frame["longitude"].notna()
    status = np.where(located, NO_BOUNDARIES, LOCATION_NOT_PUBLISHED).astype(object)
    codes: list[str | None] = [None] * len(frame)
    boundaries = FORCE_BOUNDARIES.get(force)
    if boundaries is not None and located.any():
        index = np.flatnonzero(located.to_numpy())
        found = assign_districts(frame["longitude"].to_numpy(float)[index], frame["latitude"].to_numpy(float)[index],
                                 boundaries)
        for i, code in zip(index, found, strict=True):
            codes[i] = code
            status[i] = "District" if code else OUTSIDE_DISTRICTS
    frame["area_code"] = pd.Series(codes, index=frame.index, dtype=object)
    frame["location_status"] = status


