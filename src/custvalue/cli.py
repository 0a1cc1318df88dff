"""The ``custvalue`` command line.

``custvalue score TRANSACTIONS.csv`` reads a transaction log (one row per transaction) with
the standard library's :mod:`csv` module and writes one row per customer. Errors in the input
(missing file or column, unparseable date or amount) end in a one-line message on stderr,
``custvalue: error: ...``, and exit status 2; never a traceback.

The pieces are separate functions so that new outputs (model columns) plug in easily:
:func:`read_transactions` (CSV -> arrays), :func:`score_columns` (arrays -> ordered output
columns), :func:`write_columns` (columns -> CSV).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import warnings
from collections.abc import Sequence
from typing import IO, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue import __version__
from custvalue._transactions import DAY_MAX, DAY_MIN, parse_iso_days
from custvalue._validation import optional_readonly_array, readonly_array
from custvalue.errors import CustValueError, CustValueWarning
from custvalue.summary import CustomerSummary, summarize_transactions, time_unit_days

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

_SCORE_EPILOG = """\
input format:
  A CSV file with a header row and one row per transaction. Only the id, date and amount
  columns are read (names set by the options above); other columns are ignored. Dates are
  floored to the calendar day; several purchases of a customer on one day count as one
  purchase whose amount is their sum.

models:
  Unless --summary-only is given, a BG/NBD purchase model is fitted to (frequency, recency,
  T) and, when amounts are read, a Gamma-Gamma spend model to the repeat buyers (customers
  with frequency 0 get the population mean spend). Fitted parameters, log-likelihoods and
  convergence go to standard error.

output (one row per customer, sorted by id - as text when read from a file;
times in --time-unit units):
  customer_id         the customer's id, as written in the input
  frequency           number of repeat purchases (distinct purchase days - 1)
  recency             time from the first to the last purchase (the BG/NBD t_x)
  T                   time from the first purchase to the observation end
  monetary_value      mean amount of the repeat purchase days (0 if frequency is 0);
                      omitted with --no-amount
  p_alive             BG/NBD probability that the customer is still active
  expected_purchases  expected number of purchases in the next --horizon time units
  expected_spend      Gamma-Gamma expected amount per future purchase (with amounts)
  clv                 discounted value of the purchases in the next --horizon time
                      units at --annual-discount-rate, continuously compounded (with amounts)

examples:
  custvalue score --example
  custvalue score --example --horizon 26 --annual-discount-rate 0.08 -o cdnow.csv
  custvalue score orders.csv --customer-column user --date-column ordered_at \\
      --amount-column total --date-format %Y%m%d --observation-end 2024-12-31 -o summary.csv
"""


class CommandLineError(CustValueError):
    """A problem with the command line's input that is reported as a one-line message."""


@attrs.frozen(eq=False)
class Transactions:
    """A transaction log read from a file: arrays of shape ``(n_rows,)``."""

    customer_id: NDArray[Any] = attrs.field(converter=readonly_array)
    date: NDArray[np.datetime64] = attrs.field(converter=readonly_array)
    amount: NDArray[np.float64] | None = attrs.field(converter=optional_readonly_array)


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
        help="transaction log to read (CSV with a header row); omit with --example",
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
        help="column holding the transaction amount, >= 0 (default: %(default)s)",
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
        help="field delimiter of the CSV file (default: %(default)r)",
    )
    summary = score.add_argument_group("summary")
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
        type=float,
        metavar="UNITS",
        help=(
            "prediction horizon for expected_purchases and clv, in --time-unit units "
            "(default: one year, e.g. 52.18 weeks)"
        ),
    )
    models.add_argument(
        "--annual-discount-rate",
        type=float,
        default=0.10,
        metavar="RATE",
        help=(
            "effective annual discount rate of the CLV, e.g. 0.10 for 10%% a year; converted "
            "to a continuously compounded rate per time unit (default: %(default)s)"
        ),
    )
    models.add_argument(
        "--summary-only",
        action="store_true",
        help="write the summary columns only; fit no model",
    )
    output = score.add_argument_group("output")
    output.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="PATH",
        help="file to write the per-customer CSV to (default: standard output)",
    )
    score.set_defaults(handler=_run_score)
    return parser


def _parse_dates(text: NDArray[np.str_], date_format: str | None) -> tuple[NDArray[Any], int]:
    """Dates as ``datetime64[D]`` and the index of the first bad one (-1 if none)."""
    if date_format is None:
        days, bad = parse_iso_days(text)
        if bad is not None:
            return days, bad
        invalid = (days < DAY_MIN) | (days > DAY_MAX)  # also catches NaT (empty cells)
        return days.astype("datetime64[D]"), int(np.argmax(invalid)) if invalid.any() else -1
    # strptime is a Python call per value: parse each distinct string once.
    uniq, inverse = np.unique(text, return_inverse=True)
    parsed = np.empty(uniq.size, dtype="datetime64[D]")
    for j, value in enumerate(uniq.tolist()):
        try:
            parsed[j] = dt.datetime.strptime(value.strip(), date_format).date()
        except ValueError:
            return parsed, int(np.argmax(inverse.reshape(-1) == j))
    return parsed[inverse.reshape(-1)], -1


def _parse_amounts(text: NDArray[np.str_]) -> tuple[NDArray[np.float64], int]:
    """Amounts as floats and the index of the first bad one (-1 if none)."""
    try:
        values = np.char.strip(text).astype(np.float64)
    except ValueError:
        for i, value in enumerate(text.tolist()):
            try:
                float(value)
            except ValueError:
                return np.empty(0), i
        raise  # pragma: no cover - numpy and float() disagree
    bad = ~np.isfinite(values) | (values < 0)
    return values, int(np.argmax(bad)) if bad.any() else -1


def read_transactions(
    path: str,
    *,
    customer_column: str = "customer_id",
    date_column: str = "date",
    amount_column: str | None = "amount",
    date_format: str | None = None,
    delimiter: str = ",",
) -> Transactions:
    """Read a CSV transaction log into arrays.

    Ids are kept as strings exactly as written. Raises :class:`CommandLineError` naming the
    file, line and column for a missing column, a short row, an empty id, an unparseable date
    or an amount that is not a finite number >= 0; ``OSError`` if the file cannot be read.
    """
    wanted = {"customer": customer_column, "date": date_column}
    if amount_column is not None:
        wanted["amount"] = amount_column
    values: dict[str, list[str]] = {key: [] for key in wanted}
    lines: list[int] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise CommandLineError(f"{path}: the file is empty (expected a header row)") from None
        index: dict[str, int] = {}
        for key, name in wanted.items():
            if name not in header:
                option = "--no-amount or --amount-column" if key == "amount" else f"--{key}-column"
                raise CommandLineError(
                    f"{path}: no column {name!r} in the header (columns: "
                    f"{', '.join(repr(h) for h in header)}); choose one with {option}"
                )
            index[key] = header.index(name)
        width = max(index.values()) + 1
        try:
            for row in reader:
                if not row:
                    continue
                if len(row) < width:
                    raise CommandLineError(
                        f"{path}: line {reader.line_num}: expected at least {width} fields, "
                        f"found {len(row)}"
                    )
                for key, j in index.items():
                    values[key].append(row[j])
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise CommandLineError(f"{path}: line {reader.line_num}: {exc}") from None
    if not lines:
        raise CommandLineError(f"{path}: no transactions after the header row")

    def fail(key: str, i: int, problem: str) -> CommandLineError:
        return CommandLineError(
            f"{path}: line {lines[i]}: column {wanted[key]!r}: {problem}: {values[key][i]!r}"
        )

    ids = np.char.strip(np.array(values["customer"], dtype=str))
    if (ids == "").any():
        raise fail("customer", int(np.argmax(ids == "")), "empty customer id")
    dates, bad = _parse_dates(np.array(values["date"], dtype=str), date_format)
    if bad >= 0:
        expected = date_format or "ISO 8601 YYYY-MM-DD; set --date-format"
        raise fail("date", bad, f"cannot parse the date (expected {expected})")
    amounts = None
    if amount_column is not None:
        amounts, bad = _parse_amounts(np.array(values["amount"], dtype=str))
        if bad >= 0:
            raise fail("amount", bad, "the amount must be a finite number >= 0")
    return Transactions(customer_id=ids, date=dates, amount=amounts)


def _format(value: Any) -> str:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def score_columns(summary: CustomerSummary) -> dict[str, NDArray[Any]]:
    """The output columns of ``custvalue score``, in order, one entry per customer.

    Model outputs (predicted purchases, CLV ...) are appended here as more columns.
    """
    columns: dict[str, NDArray[Any]] = {
        "customer_id": summary.customer_id,
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
    }
    if summary.monetary_value is not None:
        columns["monetary_value"] = summary.monetary_value
    return columns


def model_columns(
    summary: CustomerSummary,
    *,
    horizon: float | None = None,
    annual_discount_rate: float = 0.10,
    report: IO[str] | None = None,
) -> dict[str, NDArray[Any]]:
    """Fit BG/NBD (and Gamma-Gamma when amounts exist) and return the prediction columns.

    ``horizon`` is in the summary's time unit (default: one year); ``annual_discount_rate``
    is an effective annual rate, converted to a continuously compounded rate per time unit.
    Fitted parameters are written to ``report`` (e.g. standard error) when given.
    """
    from custvalue.clv import BetaGeo, GammaGamma, continuous_discount_rate
    from custvalue.clv import customer_lifetime_value as clv

    units_per_year = 365.25 / summary.time_unit_days
    h = units_per_year if horizon is None else horizon
    x, t_x, age = summary.frequency, summary.recency, summary.T
    bgnbd = BetaGeo.fit(x, t_x, age)
    columns: dict[str, NDArray[Any]] = {
        "p_alive": bgnbd.probability_alive(x, t_x, age),
        "expected_purchases": bgnbd.expected_purchases(h, x, t_x, age),
    }
    _report(report, "BG/NBD", bgnbd.params, bgnbd.log_likelihood, bgnbd.diagnostics)
    if summary.monetary_value is not None:
        spend = GammaGamma.fit(x, summary.monetary_value)
        _report(report, "Gamma-Gamma", spend.params, spend.log_likelihood, spend.diagnostics)
        rate = continuous_discount_rate(annual_discount_rate, units_per_year)
        columns["expected_spend"] = spend.expected_spend(x, summary.monetary_value)
        columns["clv"] = clv(
            bgnbd, spend, x, t_x, age, summary.monetary_value, horizon=h, discount_rate=rate
        )
        if report is not None:
            report.write(
                f"CLV: horizon {h:g} time units ({summary.time_unit}), discount rate "
                f"{annual_discount_rate:g} a year = {rate:.6g} per time unit (continuous)\n"
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


def write_columns(columns: dict[str, NDArray[Any]], stream: IO[str]) -> None:
    """Write ordered columns as CSV (header + one row per entry); floats round-trip exactly."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(list(columns))
    text = [[_format(v) for v in col.tolist()] for col in columns.values()]
    writer.writerows(zip(*text, strict=True))


def _run_score(args: argparse.Namespace) -> int:
    if args.example == (args.transactions is not None):
        raise CommandLineError("give either a TRANSACTIONS.csv file or --example (not both)")
    time_unit_days(args.time_unit)  # a bad unit fails before the file is read
    observation_end = args.observation_end
    if args.example:
        from custvalue.datasets import CDNOW_CALIBRATION_END, load_cdnow_sample

        log = load_cdnow_sample()
        ids: NDArray[Any] = log.customer_id
        dates: NDArray[Any] = log.date
        amounts = None if args.no_amount else log.amount
        if observation_end is None:
            observation_end = CDNOW_CALIBRATION_END
    else:
        data = read_transactions(
            args.transactions,
            customer_column=args.customer_column,
            date_column=args.date_column,
            amount_column=None if args.no_amount else args.amount_column,
            date_format=args.date_format,
            delimiter=args.delimiter,
        )
        ids, dates, amounts = data.customer_id, data.date, data.amount
    summary = summarize_transactions(
        ids, dates, amounts, observation_end=observation_end, time_unit=args.time_unit
    )
    columns = score_columns(summary)
    if not args.summary_only:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CustValueWarning)
            columns.update(
                model_columns(
                    summary,
                    horizon=args.horizon,
                    annual_discount_rate=args.annual_discount_rate,
                    report=sys.stderr,
                )
            )
        for warning in caught:
            message = " ".join(str(warning.message).split())
            print(f"{PROG}: warning: {message}", file=sys.stderr)
    if args.output == "-":
        write_columns(columns, sys.stdout)
        sys.stdout.flush()
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as handle:
            write_columns(columns, handle)
    return 0


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
