"""A statement as a PDF of A4 pages, drawn by fpdf2 (pure Python).

The font is DejaVu Sans cut down to Latin, Cyrillic and the usual punctuation and currency signs
(fonts/, under its own licence), so that Russian memos and names print as written; a character
outside it prints as "?" rather than failing the statement. Made with fontTools:
`pyftsubset DejaVuSans.ttf --unicodes=U+0020-007E,U+00A0-017F,U+0400-045F,U+2010-2027,`
`U+2030-203A,U+20AC,U+20BD,U+2116,U+2212 --layout-features='*'`.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from domain.model.money import Money
from domain.model.statements import Statement
from entrypoints.http.statement_views import hours, label

FONT = Path(__file__).parent / "fonts" / "DejaVuSans-subset.ttf"
_COVERED = (
    set(range(0x20, 0x7F))
    | set(range(0xA0, 0x180))
    | set(range(0x400, 0x460))
    | set(range(0x2010, 0x2028))
    | set(range(0x2030, 0x203B))
    | {0x20AC, 0x20BD, 0x2116, 0x2212}
)
WIDTHS = (30, 30, 88, 22)  # date or period, more of it, what, amount (mm)


def _printable(text: str) -> str:
    return "".join(c if ord(c) in _COVERED else "?" for c in text.replace("\n", " "))


def _amount(value: Money) -> str:
    return value.format(2)


class _Page(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.title_line = title
        self.add_font("statement", fname=str(FONT))
        self.set_auto_page_break(auto=True, margin=15)

    def header(self) -> None:
        self.set_font("statement", size=9)
        self.cell(0, 6, _printable(self.title_line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("statement", size=8)
        self.cell(0, 6, f"page {self.page_no()}", align="R")


def statement_pdf(st: Statement) -> bytes:
    customer = st.holder or f"customer #{st.customer_id}"
    title = f"Oxnack - statement {st.period} - {customer}"
    pdf = _Page(title)
    pdf.add_page()
    pdf.set_font("statement", size=16)
    pdf.cell(0, 10, f"Statement for {st.period}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("statement", size=10)
    moments = f"{st.start:%Y-%m-%d %H:%M} to {st.end:%Y-%m-%d %H:%M} UTC, in {st.currency}"
    pdf.cell(0, 6, _printable(f"{customer}: {moments}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    _balance(pdf, "Opening balance", st.opening)
    pdf.ln(2)
    if st.charges:
        _heading(pdf, "Charges by server", ("from", "until", "server, hours", "amount"))
        for c in st.charges:
            name = f"{c.name} (#{c.server_id})" if c.name else "charges for no server"
            start = f"{c.start:%Y-%m-%d %H:%M}" if c.start else ""
            end = f"{c.end:%Y-%m-%d %H:%M}" if c.end else ""
            _row(pdf, (start, end, f"{name}, {hours(c)} h", _amount(-c.amount)))
        _row(pdf, ("", "", "Total charges", _amount(-st.charged)), size=10)
        pdf.ln(2)
    for g in st.groups:
        _heading(pdf, label(g.kind), ("date", "", "description", "amount"))
        for line in g.lines:
            _row(pdf, (f"{line.at:%Y-%m-%d %H:%M}", "", line.memo, _amount(line.amount)))
        _row(pdf, ("", "", f"Total {label(g.kind).lower()}", _amount(g.total)), size=10)
        pdf.ln(2)
    _balance(pdf, "Closing balance", st.closing)
    if st.closing_held is not None and st.closing_held.micro:
        _balance(pdf, "of which held for orders being built", st.closing_held)
    return bytes(pdf.output())


def _balance(pdf: FPDF, text: str, value: Money) -> None:
    pdf.set_font("statement", size=11)
    pdf.cell(sum(WIDTHS[:-1]), 7, text)
    pdf.cell(WIDTHS[-1], 7, _amount(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str, columns: tuple[str, str, str, str]) -> None:
    pdf.set_font("statement", size=12)
    pdf.cell(0, 8, _printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _row(pdf, columns, size=8)


def _row(pdf: FPDF, cells: tuple[str, str, str, str], size: int = 9) -> None:
    pdf.set_font("statement", size=size)
    for n, (width, text) in enumerate(zip(WIDTHS, cells, strict=True)):
        shown = _printable(text)
        while shown and pdf.get_string_width(shown) > width - 1:  # one line per cell
            shown = shown[:-2] + "…"
        last = n == len(WIDTHS) - 1
        pdf.cell(
            width,
            6,
            shown,
            align="R" if last else "L",
            new_x=XPos.LMARGIN if last else XPos.RIGHT,
            new_y=YPos.NEXT if last else YPos.TOP,
        )
