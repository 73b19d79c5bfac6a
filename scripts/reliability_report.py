"""Render the reliability report from the outcomes the reliability cases wrote in their last run.

Usage: reliability_report.py OUTCOME_DIR OUTPUT_MD
`make test` writes var/test/reliability.md; `make reliability-report` copies it to
docs/reliability.md.
Each outcome is one JSON file (category, case, tried, held, failed, rows_lost,
details), written by crm_review/tests/reliability.py, scripts/reliability_workers.py
and scripts/test_workers.sh.
"""

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ORDER = ["Concurrency (two cursors)", "Multi-worker (HTTP, 2 workers + cron worker)", "Faults", "Bad input"]
INTRO = """\
# Reliability

What the review does when two people act at the same moment, when a cron is
interrupted, when the addon is upgraded or reinstalled, and when it is sent
input no form would send. This page is rendered by `make test` from the
outcomes of its own run (as `var/test/reliability.md`) and copied here by
`make reliability-report`: do not edit it by hand.

- **Tried**: attempts made (a race repeated, or one bad call).
- **Refused or survived**: attempts after which the data was consistent, the
  bad call refused with a clear `UserError`, `ValidationError` or
  `AccessError` (never a raw error or an HTTP 500), or the markup escaped.
- **Failed**: attempts that ended otherwise (see *Failures* below).
- **Rows lost**: rows changed by a refused call, review or history rows gone
  after an upgrade, business records gone after uninstall and reinstall,
  reminders never sent after an interrupted run.
"""
RERUN = """\
## How to rerun

- Everything: `make test` (the tests below run in Odoo's test runner and in
  pytest-odoo; then `scripts/test_workers.sh` runs the upgrade, the
  multi-worker races and the reinstall on copies of the test database, and
  renders this page as `var/test/reliability.md`), then
  `make reliability-report` to copy it here.
- Only the tests, on a database of your own with both addons installed:
  `.venv/bin/pytest --odoo-database=DB --odoo-addons-path="$ADDONS_PATH" --odoo-http
  crm_review/tests/test_reliability_concurrency.py crm_review/tests/test_reliability_faults.py
  crm_review/tests/test_reliability_bad_input.py` (after `source scripts/env.sh`).
- Only the multi-worker stage and this page: `scripts/test_workers.sh DB`
  (DB is copied; the copies are dropped at the end), then
  `make reliability-report`.

The concurrency tests commit their data in real transactions (two cursors
only see committed rows) and delete it at the end; each contender goes
through `odoo.service.model.retrying`, as an RPC call does, so that a
serialization failure is retried as Odoo would.
"""


def main(folder, output):
    outcomes = defaultdict(list)
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        outcomes[data["category"]].append(data)
    categories = [c for c in ORDER if c in outcomes] + sorted(set(outcomes) - set(ORDER))
    lines = [INTRO]
    totals = [0, 0, 0, 0]
    lines.append("## Summary\n")
    lines.append("| Category | Cases | Tried | Refused or survived | Failed | Rows lost |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for category in categories:
        cases = outcomes[category]
        sums = [sum(case[key] for case in cases) for key in ("tried", "held", "failed", "rows_lost")]
        totals = [a + b for a, b in zip(totals, sums, strict=True)]
        lines.append(f"| {category} | {len(cases)} | " + " | ".join(str(n) for n in sums) + " |")
    count = sum(len(cases) for cases in outcomes.values())
    lines.append(f"| **All** | **{count}** | " + " | ".join(f"**{n}**" for n in totals) + " |")
    lines.append(f"\nLast run: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC.\n")
    failures = []
    for category in categories:
        lines.append(f"## {category}\n")
        lines.append("| Case | Tried | Refused or survived | Failed | Rows lost |")
        lines.append("|---|---:|---:|---:|---:|")
        for case in sorted(outcomes[category], key=lambda c: c["case"]):
            name = case["case"].replace("|", "\\|").replace("<", "&lt;")
            lines.append(f"| {name} | {case['tried']} | {case['held']} | {case['failed']} | {case['rows_lost']} |")
            if case["failed"]:
                failures.append((category, name, case["details"]))
        lines.append("")
    lines.append("## Failures\n")
    if not failures:
        lines.append("None in the last run.\n")
    for category, name, details in failures:
        detail = " ".join(str(d) for d in details[:1]).replace("\n", " ").replace("|", "\\|").replace("<", "&lt;")
        lines.append(f"- {category}: **{name}**: {detail[:300] or 'failed'}")
    if failures:
        lines.append("")
    lines.append(RERUN)
    Path(output).write_text("\n".join(lines), encoding="utf-8")
    print(f"{output}: {count} cases, {totals[0]} tried, {totals[2]} failed, {totals[3]} rows lost")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
