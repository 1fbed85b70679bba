"""Render a DOCX as pictures the way a clerk would see it printed: LibreOffice (headless) to PDF, then poppler's
pdftoppm to PNG. Used to look at reply documents; tests using it skip when the tools are absent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
MISSING = "needs LibreOffice (soffice) and pdftoppm: apt-get install libreoffice-writer poppler-utils fonts-noto-cjk"


def docx_to_png(docx: Path, out_dir: Path, dpi: int = 80) -> list[Path]:
    """The pages of `docx` as PNG files in `out_dir` (page-1.png, page-2.png …)."""
    if SOFFICE is None or PDFTOPPM is None:
        raise RuntimeError(MISSING)
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"  # a private profile: no clash with another running LibreOffice
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out_dir), str(docx)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = out_dir / f"{docx.stem}.pdf"
    subprocess.run(
        [PDFTOPPM, "-png", "-r", str(dpi), str(pdf), str(out_dir / "page")], check=True, timeout=120
    )
    return sorted(out_dir.glob("page-*.png"))


if __name__ == "__main__":  # python -m tests.support.render FILE.docx OUT_DIR
    import sys

    for page in docx_to_png(Path(sys.argv[1]), Path(sys.argv[2])):
        print(page)
