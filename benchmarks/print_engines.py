"""What printing a school's debrief costs with each engine: WeasyPrint, a cold headless Chromium, a warm one.

    .venv/bin/python benchmarks/print_engines.py [--school NLT03] [--repeat 5] [--part debrief|appendix]

Renders the school's report once (``wqm report --no-pdf``, the HTML the PDF is printed from), then prints
that HTML to PDF ``repeat`` times with each engine and reports min / median / max wall seconds, CPU seconds
of the printing processes (the browser's whole process tree for Chromium), peak memory (PSS of the tree),
the file size, the pages and whether ``pdfinfo`` says it is tagged:

* ``weasyprint``: :func:`wqm_nb.export.render.to_pdf` in a fresh Python each time (``pdf/ua-1``), and
  ``weasyprint-warm`` in this process, imported once (what a batch worker pays; peak: this whole process);
* ``chromium-cold``: ``chromium --headless --print-to-pdf`` each time (its start included), every network
  request refused (JavaScript cannot be switched off there: the flag that does it stops the print);
* ``chromium-warm``: one Chromium kept running and driven over the DevTools protocol through chromedriver
  (Selenium's ``execute_cdp_cmd``: ``Page.printToPDF`` with ``generateTaggedPDF``), JavaScript off, the
  network blocked; its start is reported once, apart.

Chromium and chromedriver are Debian's (``apt-get install chromium chromium-driver``); without them those
rows say so. The choice of engine and the figures are in docs/batch.md ("Printing").
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TreePeak, machine, wqm_command  # noqa: E402

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
#: no network: a printed report needs none (JavaScript is switched off over DevTools in the warm browser;
#: ``--blink-settings=scriptEnabled=false`` makes ``--print-to-pdf`` write nothing, so the cold row keeps it on)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
#: Chromium refuses to run as root with its sandbox; the figures are the same, the row says so
ROOT_FLAGS = ("--no-sandbox",) if hasattr(os, "geteuid") and os.geteuid() == 0 else ()


def _tree_cpu(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system + getattr(t, "children_user", 0) + getattr(t, "children_system", 0)
        except psutil.NoSuchProcess:
            pass
    return total


def _run(command: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the process and what it waited for) and peak PSS of one command."""
    start = time.perf_counter()
    before = os.times()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    with TreePeak([proc.pid], interval=0.05) as peak:
        proc.wait()
    after = os.times()
    wall = time.perf_counter() - start
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if proc.returncode:
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, cpu, peak.peak


def _pdf_facts(pdf: Path) -> str:
    size = pdf.stat().st_size / 1024
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return f"{size:7.0f} KB"
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True).stdout
    facts = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return f"{size:7.0f} KB  {facts.get('Pages', '?').strip():>3} pages  tagged: {facts.get('Tagged', '?').strip()}"


def _row(name: str, walls: list[float], cpus: list[float], peaks: list[int], pdf: Path) -> None:
    print(
        f"{name:15} {min(walls):6.2f} {statistics.median(walls):6.2f} {max(walls):6.2f}  "
        f"{statistics.median(cpus):6.2f}  {max(peaks) / 2**20:7.0f} MB  {_pdf_facts(pdf)}"
    )


def weasyprint(html: Path, out: Path, repeat: int) -> None:
    code = "import sys, pathlib; from wqm_nb.export.render import to_pdf; to_pdf(*map(pathlib.Path, sys.argv[1:3]))"
    pdf = out / "weasyprint.pdf"
    runs = [_run([sys.executable, "-c", code, str(html), str(pdf)]) for _ in range(repeat)]
    _row("weasyprint", *map(list, zip(*runs, strict=True)), pdf)


def weasyprint_warm(html: Path, out: Path, repeat: int) -> None:
    """In this process, imported once: what a batch worker (a warm process) pays per print."""
    from wqm_nb.export.render import to_pdf

    pdf = out / "weasyprint-warm.pdf"
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        with TreePeak([os.getpid()], interval=0.05) as peak:
            t0, c0 = time.perf_counter(), time.process_time()
            to_pdf(html, pdf)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        peaks.append(peak.peak)
    _row("weasyprint-warm", walls, cpus, peaks, pdf)


def chromium_cold(chromium: str, html: Path, out: Path, repeat: int) -> None:
    pdf = out / "chromium-cold.pdf"
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as profile:
            command = [
                chromium,
                *CHROMIUM_FLAGS,
                *ROOT_FLAGS,
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                "--generate-pdf-document-outline",
                f"--print-to-pdf={pdf}",
                html.as_uri(),
            ]
            runs.append(_run(command))
    _row("chromium-cold", *map(list, zip(*runs, strict=True)), pdf)


def chromium_warm(chromium: str, chromedriver: str, html: Path, out: Path, repeat: int) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, *ROOT_FLAGS):
        options.add_argument(flag)
    start = time.perf_counter()
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    started = time.perf_counter() - start
    try:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
        browser = psutil.Process(driver.service.process.pid)
        pdf = out / "chromium-warm.pdf"
        walls, cpus, peaks = [], [], []
        for _ in range(repeat):
            with TreePeak([browser.pid], interval=0.05) as peak:
                cpu0, t0 = _tree_cpu(browser), time.perf_counter()
                driver.get(html.as_uri())
                printed = driver.execute_cdp_cmd(
                    "Page.printToPDF",
                    {
                        "printBackground": True,
                        "preferCSSPageSize": True,
                        "generateTaggedPDF": True,
                        "generateDocumentOutline": True,
                    },
                )
                pdf.write_bytes(base64.b64decode(printed["data"]))
                walls.append(time.perf_counter() - t0)
                cpus.append(_tree_cpu(browser) - cpu0)
            peaks.append(peak.peak)
        _row("chromium-warm", walls, cpus, peaks, pdf)
        print(f"{'':15} (the warm browser's start, once: {started:.2f} s)")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="NLT03")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parent.parent / "sample_data"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--part", choices=("debrief", "appendix"), default="debrief")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="wqm-print-") as folder:
        out = Path(folder)
        command = wqm_command() + ["report", args.school, "--data", args.data, "--out", str(out), "--no-pdf"]
        subprocess.run(command + (["--full"] if args.part == "appendix" else []), check=True, capture_output=True)
        [html] = [p for p in out.glob("*.html") if p.stem.endswith("_appendix") == (args.part == "appendix")]
        print(f"{args.school} {args.part}: {html.stat().st_size / 1024:.0f} KB of HTML, {args.repeat} prints each")
        print(f"{'engine':15} {'min':>6} {'median':>6} {'max':>6}  {'CPU s':>6}  {'peak':>10}  file")
        weasyprint(html, out, args.repeat)
        weasyprint_warm(html, out, args.repeat)
        chromium = next((shutil.which(c) for c in CHROMIUM if shutil.which(c)), None)
        chromedriver = shutil.which("chromedriver")
        if chromium is None:
            print("chromium        not installed (apt-get install chromium chromium-driver)")
            return
        if ROOT_FLAGS:
            print("(running as root: Chromium without its sandbox, which it refuses to keep for root)")
        chromium_cold(chromium, html, out, args.repeat)
        if chromedriver is None:
            print("chromium-warm   chromedriver not installed (apt-get install chromium-driver)")
            return
        chromium_warm(chromium, chromedriver, html, out, args.repeat)


if __name__ == "__main__":
    main()
