"""The steps between pages: the entry page hands out its receipt, Signals and the trace page issue
their ATF forms and signed response, the export page says how to get the verifier, and the verifier
without pyHanko says what to install instead of failing with a traceback."""

from __future__ import annotations

import re
import subprocess
import sys

from sqlalchemy import select

from registry.custody.models import Item
from registry.custody.runtime import custody
from registry.instance import initialise
from registry.ledger.runtime import log_key, reader
from tests.registry.test_cli import ROOT, audit_cli


def test_the_entry_page_hands_out_a_receipt_the_verifier_accepts(ctx, client, clock, tmp_path):
    ctx.config["DEMO_REPORTS"] = False  # the demo history without its signed PDFs, which take seconds
    initialise(ctx, demo=True, now=clock)
    pistol = custody(writing=False).session.scalar(select(Item).where(Item.serial == "BXR-4471"))
    index = reader().item_history(f"item:{pistol.id}")[1].index
    page = client.get(f"/ledger/entries/{index}").get_data(as_text=True)
    assert f'href="/ledger/entries/{index}/receipt"' in page
    answer = client.get(f"/ledger/entries/{index}/receipt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    assert f'filename="entry-{index}.tlog-proof"' in answer.headers["Content-Disposition"]
    receipt = tmp_path / "entry.tlog-proof"
    receipt.write_bytes(answer.data)
    checked = audit_cli("verify-proof", str(receipt), "--vkey", log_key().vkey)
    assert checked.returncode == 0 and f"OK: entry {index}" in checked.stdout
    assert client.get(f"/ledger/entries/{reader().size() + 5}/receipt").status_code == 404


def test_signals_and_the_trace_page_lead_to_their_reports(app, client_as, clock):
    with app.app_context():
        app.config["DEMO_REPORTS"] = False
        initialise(app, demo=True, now=clock)
    officer = client_as("officer")
    signals = officer.get("/signals").get_data(as_text=True)
    assert "/reports/new/multiple_sale?flag=" in signals and "Issue Form 3310.4" in signals
    assert "/reports/new/theft_loss?item_id=" in signals and "Issue Form 3310.11" in signals
    link = re.search(r'href="(/reports/new/multiple_sale\?flag=\d+)"', signals).group(1)
    form = officer.get(link).get_data(as_text=True)
    flag = link.rsplit("=", 1)[1]
    assert re.search(rf'<option selected value="{flag}"|<option value="{flag}" selected', form)  # chosen already
    trace = officer.get("/trace?serial=BXR-4471").get_data(as_text=True)
    assert 'id="issue-trace-response"' in trace and "/reports/new/trace_response?serial=BXR-4471" in trace
    regulator = client_as("regulator").get("/signals").get_data(as_text=True)
    assert "Issue Form" not in regulator  # a regulator receives reports; issuing them is not theirs


def test_the_export_page_says_how_to_install_the_verifier(client_as):
    page = client_as("auditor").get("/ledger/export").get_data(as_text=True)
    assert "pip install cryptography rfc8785" in page and "pip install pyhanko" in page


def test_the_report_verifier_without_pyhanko_says_what_to_install(tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    blocked = (
        "import sys; sys.modules['pyhanko'] = None; from audit.__main__ import main; "
        f"sys.exit(main(['verify-report', {str(pdf)!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", blocked], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "pip install pyhanko" in result.stderr
