"""Chinese full-text search over implementations (事项检索).

Text is indexed as character unigrams and bigrams of every run of Chinese characters, plus lower-case
words of Latin letters and digits (the CJK bigram scheme of Lucene's CJKAnalyzer). A query matches when
every one of its bigrams is present, so two-character queries such as 社保 or 护照 work, which trigram
indexes cannot do, and no segmentation dictionary has to be loaded. Common abbreviations are expanded
(社保 → 社会保险, 社会保障), so 社保 also finds 社会保障卡申领. See docs/adr/0002-search.md.

SQLite keeps the tokens in an FTS5 table ranked with BM25 (title weighted over body); PostgreSQL keeps
them in ``catalog_searchentry`` with a GIN index over the token arrays.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from tongban.catalog.agreements import agreements_for_receiving, item_ids_with_descendants
from tongban.catalog.models import ItemImplementation, Region, SearchEntry

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")

# Abbreviations people type for the official words in item names.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "社保": ("社会保险", "社会保障"),
    "医保": ("医疗保险", "医疗保障"),
    "养老": ("养老保险",),
    "公积金": ("住房公积金",),
    "户口": ("户籍", "落户", "入户"),
    "身份证": ("居民身份证",),
    "驾照": ("驾驶证",),
    "营业执照": ("市场主体登记", "设立登记"),
    "护照": ("普通护照", "出入境证件"),
    "结婚": ("婚姻登记",),
    "退休": ("退休",),
    "开公司": ("企业开办", "设立登记"),
}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text: str) -> list[str]:
    """Index tokens of a text: unigrams and bigrams of Chinese runs, Latin/digit words."""
    out: list[str] = []
    for run in _RUN.findall(normalise(text)):
        if run[0].isascii():
            out.append(run)
            continue
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def query_tokens(text: str) -> list[str]:
    """Tokens a query must all match: bigrams of Chinese runs (a lone character itself), words."""
    out: list[str] = []
    for run in _RUN.findall(normalise(text)):
        if run[0].isascii() or len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(out))


def query_alternatives(text: str) -> list[list[str]]:
    """The query's token sets, one per spelling: as typed, and with each known abbreviation expanded."""
    text = normalise(text).strip()
    spellings = [text]
    for short, longs in ABBREVIATIONS.items():
        if short in text:
            spellings += [text.replace(short, long) for long in longs]
    alternatives = [query_tokens(s) for s in dict.fromkeys(spellings)]
    return [a for a in alternatives if a]


def entry_text(impl: ItemImplementation) -> tuple[str, str]:
    """(title, body) of one implementation: names weigh more than the rest."""
    item = impl.item
    guide = impl.current_version
    names = [item.name, *item.aliases, *(p.name for p in item.lineage())]
    body = [*item.keywords, impl.department.name, impl.region.name, item.legal_basis]
    if guide is not None:
        names.append(guide.name)
        body += [guide.conditions, guide.result_name]
        body += [m.name for m in guide.materials.all()]
    return " ".join(n for n in names if n), " ".join(b for b in body if b)


def index(impl: ItemImplementation) -> None:
    """(Re)write the search entry of one implementation. Called by the catalog commands."""
    index_many([impl])


def index_many(impls: list[ItemImplementation]) -> None:
    """(Re)write the search entries of implementations, one statement per table.

    Reads impl.item (and its parents), department, region and current_version with its materials:
    select and prefetch them when indexing many.
    """
    rows = []
    for impl in impls:
        if impl.current_version_id is None:
            continue  # not offered: a draft never published, or a withdrawn guide, is not searchable
        title, body = entry_text(impl)
        # Each token once: the entry only has to say which tokens occur, and smaller rows keep
        # PostgreSQL's token arrays out of TOAST storage.
        title_toks = " ".join(dict.fromkeys(tokens(title)))
        body_toks = " ".join(dict.fromkeys(tokens(body)))
        rows.append((impl.pk, title_toks, body_toks, len(impl.item.name)))
    ids = [impl.pk for impl in impls]
    for start in range(0, len(ids), 500):
        SearchEntry.objects.filter(implementation_id__in=ids[start : start + 500]).delete()
    SearchEntry.objects.bulk_create(
        [SearchEntry(implementation_id=pk, title_tokens=t, body_tokens=b, name_length=n) for pk, t, b, n in rows],
        batch_size=1000,
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cur.execute(f"DELETE FROM catalog_search_fts WHERE rowid IN ({','.join(['%s'] * len(chunk))})", chunk)
            cur.executemany(
                "INSERT INTO catalog_search_fts(rowid, title, body) VALUES (%s, %s, %s)", [r[:3] for r in rows]
            )


@dataclass
class Filters:
    """Search filters; every one optional."""

    region: str | None = None  # implementations in this region or inside it
    department: int | None = None
    item_type: str | None = None
    mode: str | None = None  # a handling mode the current guide offers
    service_object: str | None = None  # natural / legal
    receivable_in: str | None = None  # items a window in this region may receive by agreement
    on: date | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    ids: list[int]
    total: int


def _json_has(column: str, value: str) -> tuple[str, list[object]]:
    if connection.vendor == "postgresql":
        return f"{column}::jsonb ? %s", [value]
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = %s)", [value]


def _filter_sql(filters: Filters) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if filters.region:
        region = Region.objects.filter(code=filters.region).first()
        where.append("i.region_id LIKE %s")
        params.append((region.code_prefix if region else filters.region) + "%")
    if filters.department:
        where.append("i.department_id = %s")
        params.append(filters.department)
    if filters.item_type:
        where.append("s.item_type = %s")
        params.append(filters.item_type)
    if filters.mode:
        sql, p = _json_has("g.modes", filters.mode)
        where.append(sql)
        params += p
    if filters.service_object:
        sql, p = _json_has("g.service_objects", filters.service_object)
        where.append(sql)
        params += p
    if filters.receivable_in:
        clause, p = _receivable_clause(filters.receivable_in, filters.on or timezone.localdate())
        where.append(clause)
        params += p
    return where, params


def _receivable_clause(region_code: str, on: date) -> tuple[str, list[object]]:
    """Implementations a window in ``region_code`` may receive under an agreement in force on ``on``."""
    pairs: list[str] = []
    params: list[object] = []
    for agreement in agreements_for_receiving(region_code, on):
        others = [r for r in agreement.regions.all() if not r.contains(region_code)]
        item_ids = item_ids_with_descendants([i.pk for i in agreement.items.all()])
        if not others or not item_ids:
            continue
        region_sql = " OR ".join(["i.region_id LIKE %s"] * len(others))
        pairs.append(f"(({region_sql}) AND i.item_id IN ({','.join(['%s'] * len(item_ids))}))")
        params += [r.code_prefix + "%" for r in others] + item_ids
    return ("(" + " OR ".join(pairs) + ")") if pairs else "1 = 0", params


_BASE_JOIN = (
    " JOIN catalog_itemimplementation i ON i.id = {id}"
    " JOIN catalog_serviceitem s ON s.id = i.item_id"
    " JOIN catalog_guideversion g ON g.id = i.current_version_id"
)


def search(query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0) -> Page:
    """Implementation ids matching ``query`` (best first) and the filters, with the total count.

    Only implementations with a published guide in force are found.
    """
    filters = filters or Filters()
    where, params = _filter_sql(filters)
    alternatives = query_alternatives(query) if query and query.strip() else []
    if query and query.strip() and not alternatives:
        return Page([], 0)
    with connection.cursor() as cur:
        if not alternatives:
            sql = "FROM catalog_itemimplementation i0" + _BASE_JOIN.format(id="i0.id")
            cond = (" WHERE " + " AND ".join(where)) if where else ""
            cur.execute(f"SELECT COUNT(*) {sql}{cond}", params)
            total = cur.fetchone()[0]
            cur.execute(
                f"SELECT i.id {sql}{cond} ORDER BY s.name, i.region_id, i.id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            return Page([r[0] for r in cur.fetchall()], total)
        run = _search_sqlite if connection.vendor == "sqlite" else _search_postgres
        page = run(cur, alternatives, where, params, limit, offset, every=True)
        if page.total == 0:
            # Nothing has every bigram (住房公积金提取 vs 正常退休提取住房公积金): rank what has most of them.
            page = run(cur, alternatives, where, params, limit, offset, every=False)
        return page


def _fts_match(alternatives: list[list[str]], every: bool = True) -> str:
    def quoted(tok: str) -> str:
        return '"' + tok.replace('"', '""') + '"'

    if every:
        return " OR ".join("(" + " AND ".join(quoted(t) for t in alt) + ")" for alt in alternatives)
    # The relaxed query looks in names only: any bigram anywhere matches most of a national catalog.
    return "title : (" + " OR ".join(quoted(t) for t in sorted({t for alt in alternatives for t in alt})) + ")"


def _search_sqlite(cur, alternatives, where, params, limit, offset, every=True) -> Page:  # type: ignore[no-untyped-def]
    # Without filters the FTS table answers alone; the catalog tables are joined only to filter.
    joins = _BASE_JOIN.format(id="f.rowid") if where else ""
    sql = f"FROM catalog_search_fts f{joins} WHERE catalog_search_fts MATCH %s"
    cond = "".join(f" AND {w}" for w in where)
    args = [_fts_match(alternatives, every), *params]
    cur.execute(f"SELECT COUNT(*) {sql}{cond}", args)
    total = cur.fetchone()[0]
    cur.execute(
        f"SELECT f.rowid {sql}{cond} ORDER BY bm25(catalog_search_fts, 10.0, 1.0), f.rowid LIMIT %s OFFSET %s",
        [*args, limit, offset],
    )
    return Page([r[0] for r in cur.fetchall()], total)


def _search_postgres(cur, alternatives, where, params, limit, offset, every=True) -> Page:  # type: ignore[no-untyped-def]
    # all_array and title_array are generated columns (migration 0003), each with a GIN index.
    # The relaxed query (every=False) looks in names only: any bigram anywhere matches most of a national
    # catalog. title_array has its own GIN index for it.
    if every:
        match = " OR ".join(["e.all_array @> %s::text[]"] * len(alternatives))
    else:
        match = " OR ".join(["e.title_array && %s::text[]"] * len(alternatives))
    joins = _BASE_JOIN.format(id="e.implementation_id") if where else ""
    sql = f"FROM catalog_searchentry e{joins} WHERE ({match})"
    cond = "".join(f" AND {w}" for w in where)
    args = [*alternatives, *params]
    cur.execute(f"SELECT COUNT(*) {sql}{cond}", args)
    total = cur.fetchone()[0]
    # Titles holding the whole query first, then titles holding part of it, then shorter (more general)
    # item names. Booleans over the stored title arrays: cheap even for thousands of matches, where
    # counting shared tokens per row (as the relaxed query once did) took seconds at 100,000 rows.
    whole = " OR ".join(["e.title_array @> %s::text[]"] * len(alternatives))
    part = " OR ".join(["e.title_array && %s::text[]"] * len(alternatives))
    rank = f"({whole}) DESC, ({part}) DESC"
    rank_args: list[object] = [*alternatives, *alternatives]
    cur.execute(
        f"SELECT e.implementation_id {sql}{cond} ORDER BY {rank}, e.name_length, e.implementation_id"
        " LIMIT %s OFFSET %s",
        [*args, *rank_args, limit, offset],
    )
    return Page([r[0] for r in cur.fetchall()], total)
