"""ESC/POS receipts for thermal printers on the LAN (raw TCP, port 9100), through python-escpos."""

from __future__ import annotations

import contextlib
import io
import socket
from dataclasses import dataclass

from escpos.printer import Dummy

CHARACTERS_PER_LINE = {58: 32, 80: 48}


@dataclass(frozen=True)
class PrintLine:
    text: str
    bold: bool = False
    center: bool = False
    double: bool = False  # double height and width: the total


class PrinterUnavailable(Exception):
    """The printer did not answer; the sale stands, the receipt can be printed again."""


def render(lines: list[PrintLine], barcode: str | None = None) -> bytes:
    """The ESC/POS bytes for a receipt: text lines, an optional CODE128 barcode, feed and cut."""
    printer = Dummy()
    printer.hw("INIT")
    for line in lines:
        printer.set(align="center" if line.center else "left", bold=line.bold,
                    double_height=line.double, double_width=line.double)
        printer.textln(line.text)
    printer.set(align="center", bold=False, double_height=False, double_width=False)
    if barcode:
        with contextlib.redirect_stdout(io.StringIO()):  # python-escpos prints which renderer it chose
            printer.barcode("{B" + barcode, "CODE128", function_type="B", width=2, height=60, pos="BELOW")
    printer.cut()
    return printer.output


def send(host: str, port: int, data: bytes, timeout_seconds: float = 5.0) -> None:
    """Send raw bytes to a network printer."""
    try:
        with socket.create_connection((host, port), timeout=timeout_seconds) as connection:
            connection.sendall(data)
    except OSError as error:
        raise PrinterUnavailable(f"Printer {host}:{port} did not answer: {error}") from error
