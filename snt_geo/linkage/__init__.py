"""snt_geo.linkage."""

__all__: list[str] = []
