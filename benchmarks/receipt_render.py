"""Size and render time of an application receipt in native and raster mode, raster against native.

    uv run python benchmarks/receipt_render.py [--rounds 50]

Render time is from the document model to the ESC/POS bytes; wire time is what those bytes take on a
9600-baud serial printer and on a 115200-baud one (USB and network printers are faster still).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import datetime

from devices.printer.render import PaperSettings, find_cjk_font, to_escpos
from kiosk.paper import application_receipt
from offline_cache import StoredSubmission


def receipt():
    facts = {
        "item_code": "MZ0001",
        "item_name": "老年人优待证办理",
        "applicant": "王**",
        "number": "5304**********0025",
        "materials": ["居民身份证", "近期一寸免冠彩色照片"],
        "delivery": "mail",
        "promised_days": 5,
        "expected": "2026-11-30",
        "expected_is_estimate": False,
        "decision": "",
    }
    saved = StoredSubmission(
        "id", "HT01-261123-0001-M", "MZ0001", "老年人优待证办理", datetime(2026, 11, 23, 9, 30), "pending", facts
    )
    return application_receipt(saved, "红塔区政务服务中心", "12345")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    font = find_cjk_font()
    if font is None:
        raise SystemExit("no CJK font: apt-get install fonts-wqy-zenhei")
    document = receipt()
    rows = []
    for width in (58, 80):
        for mode in ("native", "raster"):
            paper = replace(PaperSettings(width, mode, font_path=font))
            to_escpos(document, paper)  # warm the font cache
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                data = to_escpos(document, paper)
                times.append(time.perf_counter() - start)
            rows.append((width, mode, len(data), statistics.median(times)))
    print(
        f"{'paper':<7}{'mode':<8}{'bytes':>8}{'÷ native':>10}{'render ms':>11}{'÷ native':>10}"
        f"{'9600 bd s':>11}{'115200 bd s':>13}"
    )
    for width, mode, size, render in rows:
        base_size, base_time = next((s, t) for w, m, s, t in rows if w == width and m == "native")
        print(
            f"{width}mm   {mode:<8}{size:>8}{size / base_size:>10.1f}{render * 1000:>11.2f}{render / base_time:>10.1f}"
            f"{size * 10 / 9600:>11.2f}{size * 10 / 115200:>13.2f}"
        )


if __name__ == "__main__":
    main()
