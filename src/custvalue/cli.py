"""The ``custvalue`` command line.

``custvalue score TRANSACTIONS.csv`` reads a transaction log (one row per transaction) with
the standard library's :mod:`csv` module and writes one row per customer. Errors in the input
(missing file or column, undecodable bytes, rows wider or narrower than the header,
unparseable date or amount) end in a one-line message on stderr, ``custvalue: error: ...``,
naming the file, line and column (and the customer id for a per-customer failure), with exit
status 2; never a traceback. Messages name the options as typed (``--horizon 6M``), not the
library's argument names.

The pieces are separate functions so that new outputs (model columns) plug in easily:
:func:`read_transactions` (CSV -> arrays), :func:`score_columns` (arrays -> ordered output
columns), :func:`write_columns` (columns -> CSV).
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import IO, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue._transactions import DAY_MAX, DAY_MIN, parse_iso_days, strptime_days
from custvalue._validation import optional_readonly_array, readonly_array
from custvalue._version import __version__
from custvalue.errors import CustValueError, CustValueWarning
from custvalue.summary import CustomerSummary, summarize_transactions
from custvalue.time_units import as_duration, time_unit_days

__all__ = [
    "CommandLineError",
    "Transactions",
    "build_parser",
    "main",
    "model_columns",
    "read_transactions",
    "score_columns",
    "write_columns",
]

PROG = "custvalue"
EXIT_USAGE = 2
#: Significant digits of the floats written by default (``--precision``).
DEFAULT_PRECISION = 10

_SCORE_EPILOG = """\
input format:
  A CSV file with a header row and one row per transaction (- reads standard input). Only
  the id, date and amount columns are read (names set by the options above); other columns
  are ignored, but every row must have as many fields as the header. A UTF-8 byte-order mark
  and CRLF line ends are accepted; give --encoding for files that are not UTF-8. Ids are
  kept exactly as written (surrounding spaces stripped; "007" stays "007"). Amounts are plain
  numbers with an optional currency symbol ($12.50, 12.50 €; not 12.50 EUR);
  thousands separators and decimal commas are refused with the line, because "1,234" could
  mean 1234 or 1.234. Negative amounts (refunds) follow --returns. Dates are floored to the
  calendar day; several purchases of a customer on one day count as one purchase whose
  amount is their sum. Any problem ends in one line naming the file, line and column.

models:
  Unless --summary-only is given, a BG/NBD purchase model is fitted to (frequency, recency,
  T) and, when amounts are read, a Gamma-Gamma spend model to the repeat buyers (customers
  with frequency 0 get the population mean spend). A log with one row, all transactions on
  one day, or no repeat purchase is refused before fitting. Fitted parameters,
  log-likelihoods and convergence go to standard error.

output (one row per customer, ordered by id - as numbers when every id is a number, else
as text; times in --time-unit units; floats with --precision significant digits):
  customer_id         the customer's id, as written in the input
  frequency           number of repeat purchases (distinct purchase days - 1)
  recency             time from the first to the last purchase (the BG/NBD t_x)
  T                   time from the first purchase to the observation end
  monetary_value      mean amount of the repeat purchase days (0 if frequency is 0);
                      omitted with --no-amount
  p_alive             BG/NBD probability that the customer is still active
  expected_purchases  expected number of purchases in the next --horizon
  dert                with --horizon inf instead of expected_purchases: discounted expected
                      residual transactions
  expected_spend      Gamma-Gamma expected amount per future purchase (with amounts)
  clv                 discounted value of the purchases in the next --horizon at
                      --annual-discount-rate, continuously compounded (with amounts)

examples:
  custvalue score --example
  custvalue score --example --horizon 6M --annual-discount-rate 0.08 -o cdnow.csv
  custvalue score --example --horizon inf --precision 6
  custvalue score orders.csv --customer-column user --date-column ordered_at \\
      --amount-column total --date-format %Y%m%d --observation-end 2024-12-31 -o summary.csv
  custvalue score - --encoding latin-1 --delimiter ';' --returns net < export.csv
"""


class CommandLineError(CustValueError):
    """A problem with the command line's input that is reported as a one-line message."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``custvalue`` command (subcommand ``score``)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Customer-value modeling from a transaction log.",
        epilog="Run 'custvalue score --help' for the options of the score command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    score = commands.add_parser(
        "score",
        help="score customers: summary, P(alive), expected purchases, expected spend, CLV",
        description=(
            "Read a transaction log (CSV), fit BG/NBD and Gamma-Gamma models, and write one\n"
            "row per customer with the repeat purchase frequency, recency (t_x), age T, mean\n"
            "repeat spend, P(alive), expected purchases, expected spend and discounted CLV."
        ),
        epilog=_SCORE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument(
        "transactions",
        nargs="?",
        metavar="TRANSACTIONS.csv",
        help="transaction log to read (CSV with a header row; - reads standard input); omit "
        "with --example",
    )
    score.add_argument(
        "--example",
        action="store_true",
        help=(
            "use the bundled CDNOW sample (6,919 transactions, 2,357 customers) with "
            "observation end 1997-09-30, the 39-week calibration period of the papers"
        ),
    )
    columns = score.add_argument_group("input columns")
    columns.add_argument(
        "--customer-column",
        default="customer_id",
        metavar="NAME",
        help="column holding the customer id (default: %(default)s)",
    )
    columns.add_argument(
        "--date-column",
        default="date",
        metavar="NAME",
        help="column holding the transaction date (default: %(default)s)",
    )
    columns.add_argument(
        "--amount-column",
        default="amount",
        metavar="NAME",
        help=(
            "column holding the transaction amount: a number with an optional currency "
            "symbol ($12.50), no thousands separator (default: %(default)s)"
        ),
    )
    columns.add_argument(
        "--no-amount",
        action="store_true",
        help="ignore amounts: no amount column is read and monetary_value is not written",
    )
    columns.add_argument(
        "--date-format",
        metavar="FORMAT",
        help=(
            "strptime format of the dates, e.g. %%Y%%m%%d or %%d/%%m/%%Y (default: ISO 8601, "
            "YYYY-MM-DD with an optional time, no UTC offset)"
        ),
    )
    columns.add_argument(
        "--delimiter",
        default=",",
        metavar="CHAR",
        help="field delimiter of the CSV file: one character, or 'tab' (default: %(default)r)",
    )
    columns.add_argument(
        "--encoding",
        default="utf-8",
        metavar="NAME",
        help=(
            "text encoding of the file, e.g. latin-1, cp1252, utf-16 (default: %(default)s; "
            "a UTF-8 byte-order mark is skipped)"
        ),
    )
    summary = score.add_argument_group("summary")
    summary.add_argument(
        "--returns",
        choices=("error", "net", "drop"),
        default="error",
        help=(
            "negative amounts (refunds): error refuses them (naming the line), net adds them "
            "to their day's total (a day whose net total is <= 0 is not a purchase day), drop "
            "ignores those rows (default: %(default)s)"
        ),
    )
    summary.add_argument(
        "--observation-end",
        metavar="YYYY-MM-DD",
        help=(
            "last day of observation, inclusive; later transactions are ignored (default: "
            "the last transaction date; 1997-09-30 with --example)"
        ),
    )
    summary.add_argument(
        "--time-unit",
        default="W",
        metavar="UNIT",
        help=(
            "unit of recency and T: D (day), W (7 days), M (365.25/12 = 30.4375 days), "
            "Y (365.25 days), or a multiple such as 2W (default: %(default)s)"
        ),
    )
    models = score.add_argument_group("models and value")
    models.add_argument(
        "--horizon",
        metavar="DURATION",
        help=(
            "prediction horizon of expected_purchases and clv: a number of --time-unit units "
            "(52), or a duration such as 90D, 26W, 6M, 1Y; 'inf' gives the discounted "
            "expected residual transactions (column dert) and clv = dert x expected_spend "
            "(default: one year)"
        ),
    )
    models.add_argument(
        "--annual-discount-rate",
        default="0.10",
        metavar="RATE",
        help=(
            "effective annual discount rate of the CLV, e.g. 0.10 or 10%% for 10%% a year "
            "(a rate above 1 draws a warning); converted to a continuously compounded rate "
            "per time unit (default: %(default)s)"
        ),
    )
    models.add_argument(
        "--model",
        default="bgnbd",
        metavar="NAME",
        help=(
            "purchase model: "
            + ", ".join(f"{k} ({v})" for k, v in _purchase_models().items())
            + " (default: %(default)s)"
        ),
    )
    models.add_argument(
        "--summary-only",
        action="store_true",
        help="write the summary columns only; fit no model",
    )
    output = score.add_argument_group("output")
    output.add_argument(
        "--precision",
        type=int,
        choices=range(1, 18),
        default=DEFAULT_PRECISION,
        metavar="N",
        help=(
            "significant digits of the floats written, 1 to 17 (17 round-trips exactly; "
            "default: %(default)s)"
        ),
    )
    output.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="PATH",
        help="file to write the per-customer CSV to (default: standard output)",
    )
    score.set_defaults(handler=_run_score)
    return parser


_COMMON_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
#: Longest date or amount text read (longer cells are refused before any array is built, so a
#: stray huge cell cannot multiply memory).
_MAX_CELL = 64
_CURRENCY = "$€£¥"
_NUMBER_RE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_NUMERIC_ID_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")


def _delimiter(text: str) -> str:
    """The ``--delimiter`` value as one character (``tab`` and ``\\t`` name the tab)."""
    value = _DELIMITER_NAMES.get(text.lower(), text)
    if len(value) != 1 or value in '"\r\n' or value.isalnum():
        raise CommandLineError(
            f"--delimiter {text!r}: the delimiter must be one character other than a letter, "
            "digit, quote or newline, e.g. ',' ';' '|' or 'tab'"
        )
    return value


def _read_text(path: str, encoding: str, delimiter: str) -> str:
    """The whole input (``-`` = standard input) decoded; a decode failure names its line."""
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise CommandLineError(
            f"--encoding {encoding!r}: unknown encoding (e.g. utf-8, latin-1, cp1252, utf-16)"
        ) from None
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text-only stdin (e.g. replaced in tests): already decoded
            return sys.stdin.read().removeprefix("\ufeff")
        raw: bytes = stream.read()
    else:
        with open(path, "rb") as handle:
            raw = handle.read()
    name = "utf-8-sig" if codec.name == "utf-8" else codec.name  # drop a UTF-8 byte-order mark
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode(name, "replace").removeprefix("\ufeff")
        line = before.count("\n") + 1
        field = before.rpartition("\n")[2].count(delimiter)  # quotes ignored: a best guess
        header = before.partition("\n")[0].split(delimiter) if line > 1 else []
        column = (
            f"column {header[field].strip()!r}" if field < len(header) else f"field {field + 1}"
        )
        raise CommandLineError(
            f"{_source(path)}: line {line}: {column}: byte 0x{raw[exc.start]:02x} is "
            f"not valid {encoding} text; give the file's encoding, e.g. --encoding latin-1 "
            "(or cp1252, utf-16)"
        ) from None
    return text.removeprefix("\ufeff")


def _source(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _parse_dates(text: list[str], date_format: str | None) -> tuple[NDArray[Any], int]:
    """Dates as ``datetime64[D]`` and the index of the first bad one (-1 if none)."""
    long = [i for i, value in enumerate(text) if len(value) > _MAX_CELL]
    if long:
        return np.empty(0, dtype="datetime64[D]"), long[0]
    values = np.array(text, dtype=str)
    if date_format is None:
        days, bad = parse_iso_days(values)
        if bad is not None:
            return days, bad
        invalid = (days < DAY_MIN) | (days > DAY_MAX)  # also catches NaT (empty cells)
        return days.astype("datetime64[D]"), int(np.argmax(invalid)) if invalid.any() else -1
    parsed, first = strptime_days(np.char.strip(values), date_format)
    return parsed.astype("datetime64[D]"), -1 if first is None else first


def _parse_amount(text: str) -> float | str:
    """An amount cell as a float, or the reason it is refused.

    Accepted: a plain decimal number (``12``, ``-3.5``, ``1e3``) with an optional currency
    symbol before or after it (``$12.50``, ``-$3``, ``12 €``). Refused: thousands separators
    and decimal commas (``1,234.50`` could be 1234.5 or a European 1.2345), NaN, infinities.
    """
    value = text.strip()
    sign = ""
    if value.startswith(("+", "-")):
        sign, value = value[0], value[1:].lstrip()
    if value.startswith(tuple(_CURRENCY)):  # one symbol, before or after the number
        value = value[1:].lstrip()
    elif value.endswith(tuple(_CURRENCY)):
        value = value[:-1].rstrip()
    if _NUMBER_RE.fullmatch(value):
        number = float(sign + value)
        if math.isfinite(number):
            return number
        return "the amount is too large (not a finite number)"
    if "," in value:
        return (
            "an amount with a comma (a thousands separator or a decimal comma) is ambiguous; "
            "write plain numbers such as 1234.50"
        )
    return "the amount must be a number (e.g. 12.50 or $12.50)"


@attrs.frozen(eq=False)
class Transactions:
    """A transaction log read from a file.

    Customer ids are kept once each, exactly as written (surrounding whitespace stripped), in
    output order (as numbers when every id is a number, else as text); rows refer to them by
    position, so memory stays proportional to the input however long an id is.

    Attributes
    ----------
    ids
        The distinct customer ids, in output order.
    customer_code
        Position in ``ids`` of each row's customer, shape ``(n_rows,)``.
    date
        Transaction date of each row (``datetime64[D]``).
    amount
        Amount of each row (``None`` without an amount column).
    line
        Line of the input file where each row starts (the header is line 1).
    source
        The file name as given (``<stdin>`` for ``-``).
    """

    ids: tuple[str, ...]
    customer_code: NDArray[np.int64] = attrs.field(converter=readonly_array)
    date: NDArray[np.datetime64] = attrs.field(converter=readonly_array)
    amount: NDArray[np.float64] | None = attrs.field(converter=optional_readonly_array)
    line: NDArray[np.int64] = attrs.field(converter=readonly_array)
    source: str

    @property
    def customer_id(self) -> NDArray[np.object_]:
        """The customer id of each row, as written (object array of ``str``)."""
        ids: NDArray[np.object_] = np.array(self.ids, dtype=object)
        return ids[self.customer_code]

    def first_line(self) -> NDArray[np.int64]:
        """The first input line of each customer (indexed like :attr:`ids`)."""
        first = np.full(len(self.ids), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, self.customer_code, self.line)
        return first


def _output_order(ids: list[str]) -> NDArray[np.int64]:
    """Rank of each distinct id in the output: numeric order if all are numbers, else text."""
    if all(_NUMERIC_ID_RE.fullmatch(v) for v in ids):
        keys = sorted(range(len(ids)), key=lambda i: (Decimal(ids[i]), ids[i]))
    else:
        keys = sorted(range(len(ids)), key=ids.__getitem__)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.array(keys, dtype=np.int64)] = np.arange(len(ids))
    return rank


def read_transactions(
    path: str,
    *,
    customer_column: str = "customer_id",
    date_column: str = "date",
    amount_column: str | None = "amount",
    date_format: str | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
    returns: str = "error",
) -> Transactions:
    """Read a CSV transaction log (``-`` = standard input).

    Every problem raises :class:`CommandLineError` naming the file, line and column: a missing
    or duplicated column, a row with more or fewer fields than the header, an empty id, an
    unparseable date or amount, a negative amount unless ``returns`` is ``"net"`` or
    ``"drop"``, bytes that are not ``encoding`` text. A UTF-8 byte-order mark and CRLF line
    ends are accepted; ``OSError`` if the file cannot be read.
    """
    source = _source(path)
    delim = _delimiter(delimiter)
    text = _read_text(path, encoding, delim)
    wanted = {"customer": customer_column, "date": date_column}
    if amount_column is not None:
        wanted["amount"] = amount_column
    values: dict[str, list[str]] = {key: [] for key in wanted}
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    try:
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise CommandLineError(f"{source}: the file is empty (expected a header row)") from None
        index = _column_index(source, header, wanted, delim)
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):  # a blank line
                continue
            if len(row) != len(header):
                raise CommandLineError(
                    f"{source}: line {start}: {_width_problem(row, header, delim)}"
                )
            for key, j in index.items():
                values[key].append(row[j])
            lines.append(start)
    except csv.Error as exc:
        raise CommandLineError(f"{source}: line {reader.line_num}: {exc}") from None
    if not lines:
        raise CommandLineError(f"{source}: no transactions after the header row")

    def fail(key: str, i: int, problem: str) -> CommandLineError:
        return CommandLineError(
            f"{source}: line {lines[i]}: column {wanted[key]!r}: {problem}: "
            f"{_shown_id(values[key][i])}"
        )

    codes: dict[str, int] = {}
    row_code = []
    for i, raw_id in enumerate(values["customer"]):
        cid = raw_id.strip()
        if not cid:
            raise fail("customer", i, "empty customer id")
        row_code.append(codes.setdefault(cid, len(codes)))
    distinct = list(codes)
    rank = _output_order(distinct)
    ordered = [""] * len(distinct)
    for cid, r in zip(distinct, rank.tolist(), strict=True):
        ordered[r] = cid
    dates, bad = _parse_dates(values["date"], date_format)
    if bad >= 0:
        expected = date_format or "ISO 8601 YYYY-MM-DD; set --date-format"
        raise fail("date", bad, f"cannot parse the date (expected {expected})")
    amounts = None
    if amount_column is not None:
        amounts = np.empty(len(lines))
        for i, cell in enumerate(values["amount"]):
            parsed = _parse_amount(cell) if len(cell) <= _MAX_CELL else "not a number"
            if isinstance(parsed, str):
                raise fail("amount", i, parsed)
            if parsed < 0 and returns == "error":
                raise fail(
                    "amount",
                    i,
                    "negative amount (a refund?); give --returns net to net refunds into their "
                    "day's total, or --returns drop to ignore them",
                )
            amounts[i] = parsed
    return Transactions(
        ids=tuple(ordered),
        customer_code=rank[np.array(row_code, dtype=np.int64)],
        date=dates,
        amount=amounts,
        line=np.array(lines, dtype=np.int64),
        source=source,
    )


def _column_index(
    source: str, header: list[str], wanted: dict[str, str], delimiter: str
) -> dict[str, int]:
    index: dict[str, int] = {}
    for key, name in wanted.items():
        where = [j for j, h in enumerate(header) if h == name]
        if not where:
            option = "--no-amount or --amount-column" if key == "amount" else f"--{key}-column"
            hint = ""
            if len(header) == 1:
                other = [d for d in _COMMON_DELIMITERS if d != delimiter and d in header[0]]
                if other:
                    hint = (
                        f"; the header looks {other[0]!r}-delimited: try --delimiter {other[0]!r}"
                    )
            raise CommandLineError(
                f"{source}: line 1: no column {name!r} in the header (columns: "
                f"{', '.join(_shown_id(h) for h in header[:20])}"
                f"{', ...' if len(header) > 20 else ''}); choose one with {option}{hint}"
            )
        if len(where) > 1:
            raise CommandLineError(
                f"{source}: line 1: column {name!r} appears {len(where)} times in the header "
                f"(fields {', '.join(str(j + 1) for j in where)}); rename the duplicates"
            )
        index[key] = where[0]
    return index


def _width_problem(row: list[str], header: list[str], delimiter: str) -> str:
    n, m = len(header), len(row)
    if m > n:
        return (
            f"{m} fields but the header has {n} columns (extra field {row[n]!r} after column "
            f"{header[-1]!r}); is a value with an unquoted {delimiter!r} in it, such as a "
            "thousands separator in 1,234.50? Quote such values or remove the separator"
        )
    return f"{m} fields but the header has {n} columns (no value for column {header[m]!r})"


def _format(value: Any, precision: int) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{precision}g}"
    return str(value)


def score_columns(summary: CustomerSummary) -> dict[str, NDArray[Any]]:
    """The output columns of ``custvalue score``, in order, one entry per customer.

    Model outputs (predicted purchases, CLV ...) are appended here as more columns.
    """
    return dict(summary.to_columns())


def _purchase_models() -> dict[str, str]:
    """``--model`` choices: short name -> model class name."""
    from custvalue._model_registry import CLI_NAMES

    return CLI_NAMES


def model_columns(
    summary: CustomerSummary,
    *,
    horizon: float | None = None,
    annual_discount_rate: float = 0.10,
    report: IO[str] | None = None,
    model: str = "bgnbd",
) -> dict[str, NDArray[Any]]:
    """Fit a purchase model (``model``: a ``--model`` name, default BG/NBD) and Gamma-Gamma
    when amounts exist, and return the prediction columns.

    ``horizon`` is in the summary's time unit (default: one year; ``math.inf`` gives DERT,
    written as the column ``dert`` instead of ``expected_purchases``); ``annual_discount_rate``
    is an effective annual rate, converted to a continuously compounded rate per time unit.
    Fitted parameters are written to ``report`` (e.g. standard error) when given.
    """
    from custvalue._model_registry import CLI_NAMES, purchase_model_class
    from custvalue.clv import GammaGamma, continuous_discount_rate
    from custvalue.clv import customer_lifetime_value as clv
    from custvalue.clv.value import discounted_expected_transactions

    cls = purchase_model_class(CLI_NAMES[model])

    units_per_year = 365.25 / summary.time_unit_days
    h = units_per_year if horizon is None else horizon
    rate = continuous_discount_rate(annual_discount_rate, units_per_year)
    x, t_x, age = summary.frequency, summary.recency, summary.T
    bgnbd = cls.fit(x, t_x, age)
    columns: dict[str, NDArray[Any]] = {"p_alive": bgnbd.probability_alive(x, t_x, age)}
    if math.isinf(h):
        columns["dert"] = discounted_expected_transactions(
            bgnbd, x, t_x, age, horizon=h, discount_rate=rate
        )
    else:
        columns["expected_purchases"] = bgnbd.expected_purchases(h, x, t_x, age)
    _report(report, cls.TITLE.split(" ")[0], bgnbd.params, bgnbd.log_likelihood, bgnbd.diagnostics)
    if summary.monetary_value is not None:
        spend = GammaGamma.fit(summary)  # warnings then name customer ids
        _report(report, "Gamma-Gamma", spend.params, spend.log_likelihood, spend.diagnostics)
        columns["expected_spend"] = spend.expected_spend(x, summary.monetary_value)
        columns["clv"] = clv(
            bgnbd, spend, x, t_x, age, summary.monetary_value, horizon=h, discount_rate=rate
        )
    return columns


def _report(
    stream: IO[str] | None, name: str, params: Any, log_likelihood: Any, diagnostics: Any
) -> None:
    if stream is None:
        return
    values = " ".join(f"{k}={v:.6g}" for k, v in attrs.asdict(params).items())
    state = "converged" if diagnostics is not None and diagnostics.converged else "NOT converged"
    stream.write(f"{name}: {values} (log-likelihood {log_likelihood:.2f}, {state})\n")


def write_columns(
    columns: dict[str, NDArray[Any]], stream: IO[str], *, precision: int = DEFAULT_PRECISION
) -> None:
    """Write ordered columns as CSV (header + one row per entry).

    Floats are written with ``precision`` significant digits (17 round-trips exactly).
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(list(columns))
    text = [[_format(v, precision) for v in col.tolist()] for col in columns.values()]
    writer.writerows(zip(*text, strict=True))


_INDEX_RE = re.compile(r"\b(?:at )?(?:index|position) (\d+)")
_RENAMES = {
    "observation_end": "--observation-end",
    "time_unit": "--time-unit",
    "monetary": "amount",
}


def _user_terms(message: str, locate: Callable[[int], str] | None) -> str:
    """A library message in the command's terms: option names, input lines instead of indices.

    ``locate`` turns an index into the arrays the library saw into words naming what the user
    can find (an input line, a customer id).
    """
    for internal, option in _RENAMES.items():
        message = re.sub(rf"\b{internal}\b", option, message)
    if locate is not None:
        message = _INDEX_RE.sub(lambda m: locate(int(m.group(1))), message)
    return " ".join(message.split())


def _check_fit_possible(data: Transactions, summary: CustomerSummary, amounts: bool) -> None:
    """Refuse, before any optimizer runs, a log from which no model can be learned."""
    advice = "; give more history, or --summary-only for the summary alone"
    if data.line.size == 1:
        raise CommandLineError(
            f"{data.source}: cannot fit the models: the file has one row (line "
            f"{data.line[0]}){advice}"
        )
    if (data.date == data.date[0]).all():
        raise CommandLineError(
            f"{data.source}: cannot fit the models: all {data.line.size} transactions are on one "
            f"day ({data.date[0]}){advice}"
        )
    if not (summary.frequency > 0).any():
        raise CommandLineError(
            f"{data.source}: cannot fit the models: no customer bought on a second day (every "
            f"frequency is 0){advice}"
        )
    spend = summary.monetary_value
    if amounts and spend is not None and not ((summary.frequency > 0) & (spend > 0)).any():
        raise CommandLineError(
            f"{data.source}: cannot fit the spend model: no repeat buyer has a positive "
            "mean amount; give --no-amount to score purchases only"
        )


def _summarize(
    data: Transactions, *, observation_end: Any, time_unit: str, returns: str
) -> CustomerSummary:
    """The summary of the rows (customers identified by their position in ``data.ids``)."""
    kwargs: dict[str, Any] = {
        "observation_end": observation_end,
        "time_unit": time_unit,
        "returns": returns,
    }
    lines = data.line
    try:
        return summarize_transactions(data.customer_code, data.date, data.amount, **kwargs)
    except CustValueError as exc:
        message = _customer_terms(str(exc), data)
        raise CommandLineError(
            f"{data.source}: {_user_terms(message, lambda i: f'at line {lines[i]}')}"
        ) from None


_ROW_CODE_RE = re.compile(r"\bat index (\d+) \(customer_id (\d+)\)")
_CODE_RE = re.compile(r"\bcustomer[_ ]id (\d+)")


def _customer_terms(message: str, data: Transactions) -> str:
    """Replace the customer codes the library saw by the ids and lines the user can find.

    The library is given each row's customer as a code (its position in ``data.ids``), so
    its messages say ``at index <row> (customer_id <code>)`` or ``customer_id <code>``.
    """
    lines = data.line

    def row(m: re.Match[str]) -> str:
        code = int(m.group(2))
        return f"at line {lines[int(m.group(1))]} (customer {_shown_id(data.ids[code])})"

    def customer(m: re.Match[str]) -> str:
        code = int(m.group(1))
        return (
            f"customer {_shown_id(data.ids[code])} (first on line {data.first_line()[code]} of "
            f"{data.source})"
        )

    return _CODE_RE.sub(customer, _ROW_CODE_RE.sub(row, message))


def _shown_id(value: str) -> str:
    """An id for a message: quoted, and shortened if very long."""
    if len(value) > 80:
        return f"{value[:40]!r}...{value[-20:]!r} ({len(value)} characters)"
    return repr(value)


def _annual_rate(text: str) -> float:
    """``--annual-discount-rate`` as a fraction: ``0.1`` or ``10%``; > -1."""
    value = text.strip()
    scale = 100.0 if value.endswith("%") else 1.0
    try:
        rate = float(value.removesuffix("%")) / scale
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > -1):
        raise CommandLineError(
            f"--annual-discount-rate {text!r}: give a number > -1 such as 0.10 or 10% (10% a year)"
        )
    return rate


def _run_score(args: argparse.Namespace) -> int:
    if args.example == (args.transactions is not None):
        raise CommandLineError("give either a TRANSACTIONS.csv file or --example (not both)")
    try:
        time_unit_days(args.time_unit)  # a bad unit fails before the file is read
        horizon = (
            None if args.horizon is None else as_duration(args.horizon, args.time_unit, "--horizon")
        )
    except CustValueError as exc:
        raise CommandLineError(_user_terms(str(exc), None)) from None
    rate = _annual_rate(args.annual_discount_rate)
    if args.model not in _purchase_models():
        raise CommandLineError(
            f"--model {args.model!r}: give one of {', '.join(_purchase_models())}"
        )
    _delimiter(args.delimiter)  # refused even with --example, where it is unused
    if horizon is not None and math.isinf(horizon) and rate <= 0:
        raise CommandLineError(
            f"--horizon {args.horizon} needs --annual-discount-rate > 0 (got "
            f"{args.annual_discount_rate}): undiscounted purchases over an endless horizon "
            "are infinite"
        )
    if rate > 1:
        print(
            f"{PROG}: warning: --annual-discount-rate {args.annual_discount_rate} is more than "
            f"100% a year; for {rate:g}% give {rate / 100:g}",
            file=sys.stderr,
        )
    observation_end = args.observation_end
    if args.example:
        data = _example_transactions(args.no_amount)
        if observation_end is None:
            from custvalue.datasets import CDNOW_CALIBRATION_END

            observation_end = CDNOW_CALIBRATION_END
    else:
        data = read_transactions(
            args.transactions,
            customer_column=args.customer_column,
            date_column=args.date_column,
            amount_column=None if args.no_amount else args.amount_column,
            date_format=args.date_format,
            delimiter=args.delimiter,
            encoding=args.encoding,
            returns=args.returns,
        )
    summary = _summarize(
        data, observation_end=observation_end, time_unit=args.time_unit, returns=args.returns
    )
    columns = score_columns(summary)
    if not args.summary_only:
        _check_fit_possible(data, summary, not args.no_amount)
        first_line = data.first_line()

        def customer(i: int) -> str:
            code = int(summary.customer_id[i])
            return (
                f"for customer {_shown_id(data.ids[code])} (first on line {first_line[code]} of "
                f"{data.source})"
            )

        fit_report = io.StringIO()  # written only if every fit succeeds: errors stay one line
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CustValueWarning)
            try:
                columns.update(
                    model_columns(
                        summary,
                        horizon=horizon,
                        annual_discount_rate=rate,
                        report=fit_report,
                        model=args.model,
                    )
                )
            except CustValueError as exc:
                message = _customer_terms(str(exc), data)
                raise CommandLineError(_user_terms(message, customer)) from None
        sys.stderr.write(fit_report.getvalue())
        for warning in caught:
            print(
                f"{PROG}: warning: "
                f"{_user_terms(_customer_terms(str(warning.message), data), customer)}",
                file=sys.stderr,
            )
        shown_horizon = "one year" if args.horizon is None else f"--horizon {args.horizon}"
        if not args.no_amount:
            print(
                f"CLV: {shown_horizon}, --annual-discount-rate {args.annual_discount_rate}, "
                f"time unit {args.time_unit}",
                file=sys.stderr,
            )
    ids: NDArray[Any] = np.array(data.ids, dtype=object)
    columns["customer_id"] = ids[summary.customer_id]
    if args.output == "-":
        write_columns(columns, sys.stdout, precision=args.precision)
        sys.stdout.flush()
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as handle:
            write_columns(columns, handle, precision=args.precision)
    return 0


def _example_transactions(no_amount: bool) -> Transactions:
    """The bundled CDNOW sample as :class:`Transactions` (lines counted as in a CSV export)."""
    from custvalue.datasets import load_cdnow_sample

    log = load_cdnow_sample()
    distinct, codes = np.unique(log.customer_id, return_inverse=True)
    return Transactions(
        ids=tuple(str(v) for v in distinct.tolist()),
        customer_code=codes.reshape(-1).astype(np.int64),
        date=log.date.astype("datetime64[D]"),
        amount=None if no_amount else log.amount,
        line=np.arange(2, log.customer_id.size + 2, dtype=np.int64),
        source="the CDNOW sample",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``custvalue`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status: 0 on success, 2 on a usage or input error (reported on stderr
    as one line ``custvalue: error: ...``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        status: int = args.handler(args)
    except (CustValueError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            return _quiet_broken_pipe()
        message = str(exc) if isinstance(exc, CustValueError) else _os_message(exc)
        print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
        return EXIT_USAGE
    return status


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def _quiet_broken_pipe() -> int:
    """The reader of stdout went away (``custvalue score ... | head``): stop quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass
    return 1


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
