"""Bilingual messages: every error a person can see carries Chinese and English text."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation


@dataclass(frozen=True)
class Text:
    """A message in both languages; ``str()`` gives the active language's."""

    zh: str
    en: str

    def __str__(self) -> str:
        lang = (translation.get_language() or "zh-hans").lower()
        return self.en if lang.startswith("en") else self.zh

    def format(self, **values: object) -> Text:
        return Text(self.zh.format(**values), self.en.format(**values))
