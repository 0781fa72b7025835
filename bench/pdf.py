"""Rendering and signing a document: a two-page mediation agreement, against WeasyPrint
rendering the same HTML unsigned, in the same run.

Ours is the whole production path of documents/services: WeasyPrint with the compact CJK
font subsets, the seal's position read from the layout, and the PAdES signature by
pyHanko with the seal as the signature's appearance. The baseline is
``weasyprint.HTML(string=html).write_pdf()`` of the very same HTML. Both are timed
alternately after a warm-up; medians are compared. The bar, from the issue: ours at most
1.6 times the baseline, and the signed file under 200 KB. The last line printed is one
JSON object of the figures.

    .venv/bin/python bench/pdf.py [--runs 15]

It needs no services: an in-memory SQLite database, a throwaway PKI in a temporary
folder, eager Celery. The case is made through the real services (intake, acceptance,
the mediation agreement), so the HTML is the one the app renders.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BAR_RATIO = 1.6
BAR_SIZE_KB = 200

# Six clauses of terms: with the facts and the parties, the agreement runs to two pages.
TERMS = (
    "一、乙方于本协议生效之日起五日内为甲方办理退货退款手续，退还货款人民币一千二百九十九元，"
    "退货运费由乙方承担，乙方应当向甲方提供预付运单号。"
    "二、甲方应当在收到预付运单号之日起三日内将商品及全部配件、包装、赠品寄回乙方指定地址，"
    "商品外观应当保持收货时的状态。"
    "三、乙方在收到退回商品之日起二日内完成验收；验收无异议的，应当于当日通过原支付渠道退款。"
    "四、乙方另行向甲方支付交通及误工补偿人民币二百元，与退款同时支付。"
    "五、乙方承诺改进售后服务流程，在其网店首页公示售后联系方式，并在七日内回复消费者的售后咨询。"
    "六、双方确认本协议履行完毕后，就本次消费争议再无其他争议；任何一方不得就同一事实再行投诉，"
    "但乙方未按约履行的除外。"
)


def _setup(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "odr.settings.test")
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ["ODR_SKIP_DOTENV"] = "1"
    os.environ["REDIS_URL"] = ""
    os.environ["LOG_LEVEL"] = "ERROR"  # keep task logs off the output; the JSON line is last
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(workdir / "media")
    call_command("migrate", verbosity=0, interactive=False)


def _agreement_html(workdir: Path) -> tuple[str, object]:
    from django.conf import settings

    from documents.kinds import Kind
    from documents.models import Document
    from documents.services.pki import dev_pki_create
    from documents.services.render import render_html
    from documents.tests import factories

    pki = dev_pki_create(directory=workdir / "pki", organisation="临沂市兰山区市场监督管理局")
    settings.DOCUMENTS_SIGNING_PKCS12 = str(pki.pkcs12)
    settings.DOCUMENTS_SIGNING_PASSPHRASE = pki.passphrase
    settings.DOCUMENTS_TRUST_ROOTS = [str(pki.root_cert)]
    settings.DOCUMENTS_ISSUER_NAME = "临沂市兰山区市场监督管理局"
    settings.DOCUMENTS_PUBLIC_BASE_URL = "https://odr.example.cn"
    cast = factories.cast()
    case = factories.accept(cast, factories.to_review(cast))
    factories.reach_agreement(cast, case, description=TERMS)
    document, _created = _prepare(case, Kind.MEDIATION_AGREEMENT)
    assert isinstance(document, Document)
    return render_html(document), pki


def _prepare(case, kind):
    from cases.models import CaseEvent
    from documents.services.issue import document_prepare

    event = CaseEvent.objects.get(case=case, kind="transition.reach_agreement")
    return document_prepare(event=event, kind=kind)


def _pages(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="odr-bench-pdf-") as tmp:
        workdir = Path(tmp)
        _setup(workdir)
        html, _pki = _agreement_html(workdir)

        from weasyprint import HTML

        from documents.services.render import html_to_pdf
        from documents.services.sign import pdf_sign
        from documents.services.verify import signature_check

        def ours() -> bytes:
            rendered = html_to_pdf(html)
            return pdf_sign(rendered.pdf, reason="bench", seal=rendered.seal_position()).pdf

        def baseline() -> bytes:
            return HTML(string=html).write_pdf()

        for _ in range(2):  # warm-up: fonts, the seal's PDF, the key
            signed, plain = ours(), baseline()
        ours_times, base_times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            baseline()
            base_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            signed = ours()
            ours_times.append(time.perf_counter() - start)
        # The signed file must verify, or the timing means nothing.
        check = signature_check(signed)
        valid = bool(check and check.ok)

    pages = _pages(signed)
    ours_ms = statistics.median(ours_times) * 1000
    base_ms = statistics.median(base_times) * 1000
    ratio = ours_ms / base_ms
    signed_kb = len(signed) / 1024
    plain_kb = len(plain) / 1024
    bar_met = ratio <= BAR_RATIO and signed_kb < BAR_SIZE_KB and pages == 2 and valid
    print(f"mediation agreement: {pages} pages, {args.runs} runs each, medians")
    print(f"  weasyprint, unsigned (baseline): {base_ms:8.1f} ms   {plain_kb:7.1f} KB")
    print(f"  render + sign (ours):            {ours_ms:8.1f} ms   {signed_kb:7.1f} KB")
    print(
        f"  ratio: {ratio:.2f} (bar <= {BAR_RATIO}); signed size {signed_kb:.1f} KB (bar < {BAR_SIZE_KB} KB)"
    )
    print(f"  signature valid and trusted: {valid}")
    print(
        json.dumps(
            {
                "bench": "pdf",
                "document": "mediation_agreement",
                "pages": pages,
                "runs": args.runs,
                "render_sign_median_ms": round(ours_ms, 1),
                "baseline_weasyprint_median_ms": round(base_ms, 1),
                "signed_size_kb": round(signed_kb, 1),
                "baseline_size_kb": round(plain_kb, 1),
                "ratio": round(ratio, 3),
                "bar": {"ratio_max": BAR_RATIO, "signed_size_kb_max": BAR_SIZE_KB},
                "signature_valid": valid,
                "bar_met": bar_met,
            },
            ensure_ascii=False,
        )
    )
    return 0 if bar_met else 1


if __name__ == "__main__":
    sys.exit(main())
