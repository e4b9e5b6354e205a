"""Import and export of the catalog (事项库导入导出) as JSON and Excel, in the layout of :mod:`.layout`.

docs/catalog-import.md describes the layout, the error report and the idempotence rule.
"""

from tongban.catalog.transfer.export import export_catalog
from tongban.catalog.transfer.importer import ImportReport, import_catalog
from tongban.catalog.transfer.problems import CatalogExportError, CatalogImportError, Located

__all__ = [
    "CatalogExportError",
    "CatalogImportError",
    "ImportReport",
    "Located",
    "export_catalog",
    "import_catalog",
]
