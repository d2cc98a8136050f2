"""The briefing map: one named function per layer group, drawn from a tasking assessment."""

from __future__ import annotations

import numpy as np

from snt_geo._format import format_percent, format_pvalue, format_value
from snt_geo._labels import theme_label, ward_names

#: Shared-priority theme layers on when the briefing opens (the others are listed, off).
PRIORITY_THEMES_SHOWN = 2

#: Links drawn on the briefing map: street-crime clusters holding at least this share of the
#: street crime near the estate's ASB (every candidate link stays in the links table).
LINK_MIN_SHARE = 0.05

#: The links' columns drawn: each link's street-crime cluster and its share of the street crime
#: near the estate's ASB (:data:`snt_geo.linkage.links.LINK_COLUMNS`).
LINK_SHARE = "street_cluster_weight_share"
LINK_CLUSTER = "street_cluster"


def map_notes() -> str:
    """Return the method-note paragraph of the map's own choices."""
    return (
        "Map. Each flagged shared-priority theme is its own layer, ordered by its number of "
        f"wards; street crime and ASB (when flagged), then the largest, are on at opening, "
        f"{PRIORITY_THEMES_SHOWN} at most; groups are outlined over a light fill and "
        "cross-borough groups are dashed. A link's width shows its street-crime cluster's "
        "share of the distance-weighted street crime near the estate's ASB, and links under "
        f"{format_percent(LINK_MIN_SHARE)} are left to the table."
    )


def briefing_layers(a) -> tuple[list, list[tuple[str, str, str]]]:
    """Return the map layers of assessment ``a``, bottom first, and the map's parameter rows."""
    layers: list = []
    params: list[tuple[str, str, str]] = []
    names = ward_names(a.wards)
    _ward_layers(a, layers, params)
    if a.stop_search is not None:
        _stop_search_layer(a, layers, params)
    _ward_cluster_layers(a, layers)
    _shared_priority_layers(a, names, layers, params)
    _hotspot_layers(a, names, layers)
    if a.estates is not None and len(a.estates):
        from snt_geo.maps.layers import draw_estates

        est = a.estates
        layers.append(draw_estates(est if "name" in est.columns else est.assign(name=est.index)))
    if a.links is not None and len(a.links):
        _link_layer(a.links, layers, params)
    for layer in layers:
        choices = {k: v for k, v in layer.info.choices.items() if k != "counts"}
        params.append(
            (
                "map",
                f"layer: {layer.title}",
                f"{layer.info.n_drawn} of {layer.info.n_rows} drawn; " + format_value(choices),
            )
        )
    return layers, params


def _ward_layers(a, layers, params) -> None:
    from snt_geo.maps.layers import draw_ward_choropleth, draw_ward_outlines

    layers.append(draw_ward_outlines(a.wards))
    profile = a.profile.wards
    rate = profile["incident_rate_per_1000"]
    smoothed = profile.get("incident_eb_rate_per_1000")
    # Raw rates where most wards have a usable population; else the empirical Bayes rate (every
    # ward with residents has one, e.g. the City's small wards); else counts (recorded).
    if rate.notna().mean() >= 0.5:
        column = "incident_rate_per_1000"
    elif smoothed is not None and smoothed.notna().mean() >= 0.5:
        column = "incident_eb_rate_per_1000"
    else:
        column = "incident_count"
    layers.append(
        draw_ward_choropleth(
            profile,
            column=column,
            name="Incidents per ward (period)",
            tooltip=["ward_name", "incident_count", column],
            show=False,
        )
    )
    params.append(
        (
            "map",
            "choropleth",
            f"{column}, quantiles, 5 classes (raw rates when at least half the wards have a "
            "usable population, else empirical Bayes rates, else counts)",
        )
    )


def _ward_cluster_layers(a, layers) -> None:
    """One local Moran's I class layer per theme (off when the map opens)."""
    clusters = a.ward_clusters
    if clusters is None or not len(clusters):
        return
    from snt_geo.maps.lisa_layer import draw_ward_clusters

    names = ward_names(a.wards)
    for theme, part in clusters.groupby("theme", sort=False):
        part = part.assign(ward_name=[names.get(str(c), str(c)) for c in part["ward_code"]])
        layers.append(
            draw_ward_clusters(
                part,
                name=f"Ward clusters: {theme_label(str(theme), a.themes)}",
                show=False,
            )
        )


def _stop_search_layer(a, layers, params) -> None:
    from snt_geo.maps.layers import draw_ward_choropleth

    counts = a.stop_search[["searches", "nfa_share"]]
    wards = a.wards[["ward_name", "geometry"]].join(counts)
    layers.append(
        draw_ward_choropleth(
            wards,
            column="searches",
            palette="Blues",
            name="Stop and search per ward (period)",
            tooltip=["ward_name", "searches", "nfa_share"],
            labels={"searches": "Searches", "nfa_share": "Share no further action"},
            show=False,
        )
    )
    params.append(("map", "stop and search", "searches per ward, quantiles, 5 classes"))


def _shared_priority_layers(a, names, layers, params) -> None:
    from snt_geo.maps.layers import draw_priority_themes

    shared = a.shared
    flagged = set(shared.themes.loc[shared.themes["flagged"], "theme"].astype(str))
    groups = shared.groups[shared.groups["theme"].astype(str).isin(flagged)]
    if not len(groups):
        return
    groups = groups.assign(
        ward_names=[", ".join(names.get(str(c), str(c)) for c in g) for g in groups["ward_codes"]]
    )
    # One layer per flagged theme: filled groups of every theme at once cover the borough.
    theme_layers = draw_priority_themes(
        groups,
        n_shown=PRIORITY_THEMES_SHOWN,
        popup=("theme", "n_wards", "ward_names", "cross_borough"),
        labels={"ward_names": "wards"},
        theme_names={t: theme_label(t, a.themes) for t in flagged},
    )
    layers += theme_layers
    shown = [str(t.info.choices["theme"]) for t in theme_layers if t.info.choices["shown"]]
    params.append(
        (
            "map",
            "shared priority layers",
            f"one per flagged theme ({len(theme_layers)}), ordered by wards; on when the map "
            f"opens: {', '.join(shown) or 'none'} (street crime and ASB first when flagged, "
            f"then most wards, {PRIORITY_THEMES_SHOWN} at most); outlines over a light fill, "
            "cross-borough groups dashed",
        )
    )


def _hotspot_layers(a, names, layers) -> None:
    from snt_geo.maps.layers import draw_cluster_hulls, draw_hotspot_cells

    themes = a.themes
    for i, (t, cells) in enumerate(a.hotspots.items()):
        layers.append(
            draw_hotspot_cells(cells, name=f"Gi* hotspots: {theme_label(t, themes)}", show=i == 0)
        )
    from snt_geo.maps.emerging_layer import draw_emerging_cells

    for t, result in a.emerging.items():
        if not (np.asarray(result.values["emerging_class"]).astype(str) != "no_pattern").any():
            continue  # nothing to draw; the briefing's table says there is no pattern
        layers.append(
            draw_emerging_cells(result, name=f"Emerging hot spots: {theme_label(t, themes)}")
        )
    cross = a.cross_border
    crossing = cross[cross["cross_ward"].fillna(False).astype(bool)] if len(cross) else cross
    if len(crossing):
        crossing = crossing.assign(
            dominant_theme=[theme_label(str(t), themes) for t in crossing["theme"]],
            ward_names=[", ".join(names.get(str(c), str(c)) for c in w) for w in crossing["wards"]],
        )
        layers.append(
            draw_cluster_hulls(
                crossing,
                name="Cross-border hot areas",
                tooltip=("dominant_theme", "ward_names"),
                popup=("dominant_theme", "explanation"),
                labels={"ward_names": "wards"},
                fill_opacity=0.1,
            )
        )
    if len(a.clusters):
        layers.append(
            draw_cluster_hulls(
                a.clusters.assign(
                    dominant_theme=[theme_label(str(t), themes) for t in a.clusters["theme"]]
                ),
                name="Incident clusters (DBSCAN)",
                show=False,
            )
        )


def _link_layer(links, layers, params) -> None:
    from snt_geo.maps.layers import draw_links

    share, cluster = LINK_SHARE, LINK_CLUSTER
    n_candidates = links.groupby("estate")[cluster].transform("size")
    shown = links.assign(
        estate_test=[
            f"{'significant' if sig else 'not significant'} (adjusted "
            f"{format_pvalue(p, prefix=True)}); one test per estate, shared by its {n} "
            "candidate street-crime clusters"
            for sig, p, n in zip(
                links["significant"], links["p_adjusted"], n_candidates, strict=True
            )
        ],
        cluster_share=[
            f"{format_percent(v)} of the distance-weighted street crime near the estate's ASB"
            for v in links[share]
        ],
    )
    layer = draw_links(
        shown,
        popup=("estate_name", "estate_test", "cluster_share", "explanation"),
        tooltip=("estate_name", "cluster_share"),
        labels={
            "estate_name": "estate",
            "estate_test": "estate-level test",
            "cluster_share": "street-crime cluster share",
        },
        min_share=LINK_MIN_SHARE,
        share_column=share,
    )
    layers.append(layer)
    params.append(
        (
            "map",
            "links drawn",
            f"{layer.info.n_drawn} of {len(links)}: those whose street-crime cluster holds at "
            f"least {format_percent(LINK_MIN_SHARE)} of the street crime near the estate's ASB "
            "(all are in the links table); width by that share, red when the estate's test is "
            "significant",
        )
    )
