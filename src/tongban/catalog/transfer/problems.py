"""Located problems (导入错误): what is wrong, and where in the file, in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tongban.catalog.transfer import layout as L
from tongban.core.codes import CodeError
from tongban.core.errors import DomainError, Problem
from tongban.core.messages import Text


@dataclass(frozen=True)
class Located:
    """One problem at a place in the file: sheet key, row, column key.

    In Excel ``row`` is the row number a person sees (the header is row 1, the first data row 2); in
    JSON it is the entry's position in its list, counting from 1 (``unit`` is then "entry"). ``sheet``
    is None for problems with the file as a whole, ``row`` None for a whole sheet or its header,
    ``column`` None for a whole row.
    """

    sheet: str | None
    row: int | None
    column: str | None
    code: str
    text: Text
    unit: str = "row"

    @property
    def sheet_title(self) -> str | None:
        sheet = L.BY_KEY.get(self.sheet or "")
        return sheet.title if sheet else self.sheet

    @property
    def header(self) -> str | None:
        sheet = L.BY_KEY.get(self.sheet or "")
        col = sheet.by_key.get(self.column or "") if sheet else None
        return col.header if col else self.column

    @property
    def where(self) -> Text:
        zh: list[str] = []
        en: list[str] = []
        if self.sheet:
            zh.append(f"“{self.sheet_title}”表")
            en.append(f"sheet {self.sheet}")
        if self.row is not None:
            zh.append(f"第{self.row}{'条' if self.unit == 'entry' else '行'}")
            en.append(f"{self.unit} {self.row}")
        if self.column:
            zh.append(f"“{self.header}”列")
            en.append(f"column {self.column}")
        return Text("".join(zh) or "文件", ", ".join(en) or "file")

    @property
    def path(self) -> str:
        """A machine-readable place, e.g. ``implementations[7].promised_limit``."""
        out = self.sheet or "file"
        if self.row is not None:
            out += f"[{self.row}]"
        if self.column:
            out += f".{self.column}"
        return out

    def sort_key(self) -> tuple[int, int, int, str]:
        order = [s.key for s in L.SHEETS]
        sheet = order.index(self.sheet) if self.sheet in order else -1
        cols = L.BY_KEY[self.sheet].columns if self.sheet in L.BY_KEY else ()
        col = next((i for i, c in enumerate(cols) if c.key == self.column), -1)
        return sheet, self.row or 0, col, self.code

    def __str__(self) -> str:
        where = self.where
        return f"{where.zh}：{self.text.zh}（{where.en}: {self.text.en}）"

    def as_dict(self) -> dict[str, object]:
        return {
            "sheet": self.sheet_title,
            "sheet_key": self.sheet,
            "row": self.row,
            "unit": self.unit,
            "column": self.header,
            "column_key": self.column,
            "code": self.code,
            "message_zh": self.text.zh,
            "message_en": self.text.en,
        }


class TransferError(DomainError):
    """Problems with an exchange file; ``located`` lists every one, in file order."""

    def __init__(self, located: Iterable[Located]) -> None:
        self.located = sorted(located, key=Located.sort_key)
        super().__init__(
            [
                Problem(p.path, p.code, Text(f"{p.where.zh}：{p.text.zh}", f"{p.where.en}: {p.text.en}"))
                for p in self.located
            ]
        )


class CatalogImportError(TransferError):
    """The file was refused; nothing was written."""


class CatalogExportError(TransferError):
    """The catalog cannot be written in the chosen format (a value Excel cannot hold); no file was written."""


class Collector:
    """Gathers located problems while a file is checked, so every one is reported, not just the first."""

    def __init__(self, unit: str = "row") -> None:
        self.items: list[Located] = []
        self.unit = unit

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, sheet: str | None, row: int | None, column: str | None, code: str, zh: str, en: str) -> None:
        self.text(sheet, row, column, code, Text(zh, en))

    def text(self, sheet: str | None, row: int | None, column: str | None, code: str, text: Text) -> None:
        self.items.append(Located(sheet, row, column, code, text, self.unit))

    def code_error(self, sheet: str, row: int, column: str, exc: CodeError) -> None:
        self.text(sheet, row, column, exc.code, exc.text)

    def raise_if_any(self) -> None:
        if self.items:
            raise CatalogImportError(self.items)
