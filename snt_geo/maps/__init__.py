"""snt_geo.maps."""

__all__: list[str] = []
