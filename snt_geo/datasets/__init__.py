"""The bundled City of London sample: real open data, small enough to ship with the package.

What is in it, where it came from, how the constructed parts were made, and the attribution that
must accompany it: see ``README.md`` in this folder (also :func:`sample_readme`). The files are
rebuilt from ``../shared/data`` by ``tools/make_sample.py``.

Examples
--------
>>> from snt_geo.datasets import load_sample
>>> sample = load_sample()
>>> len(sample.wards), sample.incidents["month"].nunique()
(25, 44)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd

__all__ = ["ATTRIBUTION", "Sample", "SamplePaths", "load_sample", "sample_paths", "sample_readme"]

#: Attribution lines that must accompany anything made from the sample (Open Government Licence
#: v3.0; Ordnance Survey and ONS data).
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0.",
    "Contains OS data (c) Crown copyright and database right.",
    "Contains National Statistics data (c) Crown copyright and database right.",
)


@dataclass(frozen=True)
class SamplePaths:
    """Paths of the sample files (inside the installed package).

    Attributes
    ----------
    wards
        GeoPackage (layer ``wards``) of the 25 City of London wards, EPSG:27700.
    police_uk
        Folder of the 44 City of London Police street-level files (``YYYY-MM-city-of-london-
        street.csv.gz``, as published).
    demographics
        CSV in the demographics schema (``ward_code``, ``ward_name``, ``population``, ``age_0_15``,
        ``age_16_64``, ``age_65_plus``, ``youth``, ``youth_ages``, ``year``, ``source``).
    estates
        GeoPackage (layer ``estates``) of three social-housing estates (constructed, see README).
    priorities
        CSV priority register (``ward_code``, ``theme``, ``status``, ``set_on``, ``review_on``,
        ``source``), constructed for the demo.
    readme
        The sample's README (sources, construction, attribution).
    """

    wards: Path
    police_uk: Path
    demographics: Path
    estates: Path
    priorities: Path
    readme: Path

    def as_dict(self) -> dict[str, Path]:
        """Return the paths as a dict keyed by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def sample_paths() -> SamplePaths:
    """Paths of the bundled sample files.

    Returns
    -------
    SamplePaths
        Absolute paths. The package must be installed as files (a normal or editable install), not
        imported from a zip archive.
    """
    root = Path(str(files("snt_geo.datasets")))
    return SamplePaths(
        wards=root / "city_wards.gpkg",
        police_uk=root / "police_uk",
        demographics=root / "city_ward_demographics.csv",
        estates=root / "city_estates.gpkg",
        priorities=root / "city_priorities.csv",
        readme=root / "README.md",
    )


def sample_readme() -> str:
    """Return the text of the sample's README (sources, construction, attribution)."""
    return sample_paths().readme.read_text(encoding="utf-8")


@dataclass(frozen=True, eq=False)
class Sample:
    """The bundled sample, read and validated.

    Attributes
    ----------
    wards
        The wards schema (:func:`snt_geo.io.read_wards`): 25 City of London wards (2011
        boundaries, codes E05000001-E05000025), indexed by ``ward_code``, EPSG:27700.
    incidents
        The incidents schema (:func:`snt_geo.io.read_police_uk`): every located row of the 44
        monthly files (2018-04 .. 2020-11 and 2022-07 .. 2023-06), EPSG:27700.
    demographics
        The demographics schema (:func:`snt_geo.io.read_demographics`), indexed by ``ward_code``;
        ONS mid-2019 LSOA populations apportioned to the wards by area share.
    estates
        The estates schema (:func:`snt_geo.io.read_estates`), indexed by ``estate_id``.
    priorities
        Plain DataFrame: ``ward_code``, ``theme``, ``status`` (``active``/``closed``), ``set_on``
        and ``review_on`` (datetime64), ``source``.

    Each frame from a reader keeps its account in ``attrs["read_report"]``.
    """

    wards: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    demographics: pd.DataFrame
    estates: gpd.GeoDataFrame
    priorities: pd.DataFrame

    def __repr__(self) -> str:
        """Summarise the sample: wards, incidents and months."""
        months = self.incidents["month"]
        return (
            f"Sample(wards={len(self.wards)}, incidents={len(self.incidents):,} "
            f"({months.min()} .. {months.max()}, {months.nunique()} months), "
            f"population={self.demographics['population'].sum():,.0f}, "
            f"estates={len(self.estates)}, priorities={len(self.priorities)})"
        )


def load_sample(*, quiet: bool = True) -> Sample:
    """Read the bundled City of London sample.

    Parameters
    ----------
    quiet
        Silence the readers' warnings about expected drops (2,311 police.uk rows without
        coordinates; 61.6 residents of City LSOAs fall outside the ward polygons and are not in the
        demographics). The accounts stay in each frame's ``attrs["read_report"]``. Default True.

    Returns
    -------
    Sample
        Frozen dataclass with ``wards``, ``incidents``, ``demographics``, ``estates`` and
        ``priorities``.
    """
    from snt_geo.io.boundaries import read_wards
    from snt_geo.io.demographics import read_demographics
    from snt_geo.io.estates import read_estates
    from snt_geo.io.police_uk import read_police_uk

    paths = sample_paths()
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", UserWarning)
        wards = read_wards(paths.wards, layer="wards")
        incidents = read_police_uk(paths.police_uk)
        demographics = read_demographics(paths.demographics, wards=wards)
        estates = read_estates(paths.estates, layer="estates")
    priorities = pd.read_csv(
        paths.priorities,
        dtype={"ward_code": "string", "theme": "string", "status": "string", "source": "string"},
        parse_dates=["set_on", "review_on"],
    )
    return Sample(
        wards=wards,
        incidents=incidents,
        demographics=demographics,
        estates=estates,
        priorities=priorities,
    )
