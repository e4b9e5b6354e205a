"""Notice (文书) rendering time: N acceptance notices rendered to PDF one after another.

    python bench/notice_render.py [--count 30]

The first render, which loads WeasyPrint and the fonts, is timed apart from the rest. Each notice gets its
own number, applicant and verify URL, so nothing can be served from a cache. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import _setup

from tongban.cases.notices import render_pdf
from tongban.cases.notices.samples import sample_context

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀兰", "建国", "丽娟", "志强", "海燕", "文博", "春梅", "子涵", "国华", "思远"]


def context(i: int) -> dict:
    ctx = sample_context("acceptance")
    ctx["number"] = f"411500-SL-2026-{i:06d}"
    ctx["case_number"] = f"411500-2026-1120-{i:06d}"
    ctx["applicant_name"] = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
    ctx["verify_url"] = f"https://zwfw.xinyang.gov.cn/v/{ctx['number']}?c={i * 7919 % 999983:06X}"
    return ctx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    # WeasyPrint logs seven INFO lines per document; they would drown the figures.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    started = time.perf_counter()
    first = render_pdf("acceptance", context(0))
    cold_ms = (time.perf_counter() - started) * 1000

    times: list[float] = []
    sizes: list[int] = []
    for i in range(1, args.count + 1):
        started = time.perf_counter()
        pdf = render_pdf("acceptance", context(i))
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(pdf))

    print(f"machine: {_setup.machine()}")
    print(f"acceptance notice, 4 materials, 1 page; {args.count} renders after a cold first one")
    print(f"first render (imports WeasyPrint, loads fonts): {cold_ms:.0f} ms, {len(first) / 1024:.0f} KiB")
    print(
        f"per notice: median {statistics.median(times):.0f} ms, p95 {_setup.percentile(times, 95):.0f} ms, "
        f"max {max(times):.0f} ms"
    )
    print(
        f"PDF size: median {statistics.median(sizes) / 1024:.0f} KiB (min {min(sizes) / 1024:.0f}, "
        f"max {max(sizes) / 1024:.0f})"
    )


if __name__ == "__main__":
    main()
