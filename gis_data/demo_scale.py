"""How big a demo city to build."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class DemoScale:
    """Counts of every generated thing; the same scale and seed always give the same city."""

    streets: int
    communities_per_street: int
    residential_areas: int
    grid_cells: int
    reports: int
    patrols: int

    @classmethod
    def demo(cls) -> DemoScale:
        """The default demo: 8 streets, 48 communities, 300 小区, 270 grid cells."""
        return cls(
            streets=8,
            communities_per_street=6,
            residential_areas=300,
            grid_cells=270,
            reports=400,
            patrols=200,
        )

    @classmethod
    def benchmark(cls) -> DemoScale:
        """Benchmark size: 2,000 小区, 20,000 grid cells, 1,000,000 reports."""
        return cls.demo().override(residential_areas=2000, grid_cells=20_000, reports=1_000_000)

    def override(
        self,
        *,
        residential_areas: int | None = None,
        grid_cells: int | None = None,
        reports: int | None = None,
    ) -> DemoScale:
        """This scale with some counts replaced; larger counts bring more streets/communities."""
        areas = residential_areas or self.residential_areas
        cells = grid_cells or self.grid_cells
        streets, per_street = self.streets, self.communities_per_street
        # Codes allow 999 小区 and 999 cells per community; keep communities plausible too.
        while streets * per_street * 40 < max(areas, cells / 3):
            streets, per_street = min(streets * 2, 22), per_street + 2
        return replace(
            self,
            streets=streets,
            communities_per_street=per_street,
            residential_areas=areas,
            grid_cells=cells,
            reports=reports if reports is not None else self.reports,
            patrols=self.patrols if cells == self.grid_cells else max(self.patrols, cells),
        )
