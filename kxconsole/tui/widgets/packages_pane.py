"""The host view's packages pane: installed packages with versions, searchable."""

from __future__ import annotations

from kxconsole.runner.listings import PackageEntry
from kxconsole.tui.widgets.listing_pane import ListingPane


class PackagesPane(ListingPane):
    columns = (("Package", 40), ("Version", None))
    placeholder = "search packages…"
    noun = "packages"

    def show_packages(self, packages: list[PackageEntry]) -> None:
        self.set_rows([(p.name, p.version) for p in packages])
