"""The TARP repurchase-intent figures as a :class:`~custvalue.lifecycle.RepurchaseTree` preset.

References
----------
TARP (Technical Assistance Research Programs) (1979, 1986). *Consumer Complaint Handling in
America*. U.S. Office of Consumer Affairs; figures as reported in secondary sources.
"""

from __future__ import annotations

from typing import Literal

import attrs

from custvalue.errors import InvalidInputError
from custvalue.lifecycle.repurchase import InclusiveResolution, RepurchaseTree

__all__ = ["TARP_RATES", "TarpRates", "tarp_tree"]


@attrs.frozen
class TarpRates:
    """Repurchase-intent rates by complaint outcome from the TARP studies."""

    did_not_complain: float
    not_resolved: float
    resolved: float
    resolved_quickly: float


#: TARP figures as reported in secondary sources: minor problems (loss under $5) and major
#: problems (loss over $100). No rate is given for customers without a problem.
TARP_RATES: dict[str, TarpRates] = {
    "minor": TarpRates(
        did_not_complain=0.37, not_resolved=0.46, resolved=0.70, resolved_quickly=0.95
    ),
    "major": TarpRates(
        did_not_complain=0.09, not_resolved=0.19, resolved=0.54, resolved_quickly=0.82
    ),
}


def tarp_tree(
    problem: Literal["minor", "major"],
    *,
    no_failure_rate: float,
    failure_share: float,
    complaint_share: float,
    quick_share: float,
    resolved_share: float,
    unresolved_share: float,
    resolved_reading: Literal["exclusive", "inclusive"] = "exclusive",
) -> RepurchaseTree:
    """A :class:`RepurchaseTree` with the TARP rates for ``"minor"`` or ``"major"`` problems.

    TARP gives no rate for customers without a problem, so ``no_failure_rate`` (``r0``) and
    all shares come from the caller. ``resolved_reading="exclusive"`` reads TARP's "resolved"
    rate as that of complaints resolved but not quickly (``quick + resolved + unresolved =
    1``); ``"inclusive"`` reads it as the rate of all resolved complaints, quickly resolved
    ones included (then ``resolved_share`` includes ``quick_share`` and ``resolved +
    unresolved = 1``), and converts with :meth:`RepurchaseTree.from_inclusive`. TARP's
    resolved rate is below its quick rate, so in the inclusive reading ``quick_share`` can be
    at most ``resolved_share * resolved / resolved_quickly`` (the resolved-not-quickly rate is
    0 there); beyond that, up to and including ``quick_share == resolved_share`` (every
    resolved complaint quick, which would need equal rates), it raises ``InvalidInputError``.

    Examples
    --------
    >>> tree = tarp_tree("minor", no_failure_rate=0.9, failure_share=0.25, complaint_share=0.4,
    ...                  quick_share=0.3, resolved_share=0.4, unresolved_share=0.3)
    >>> round(tree.intent, 4)
    0.8008
    """
    if problem not in TARP_RATES:
        raise InvalidInputError(f"problem must be 'minor' or 'major'; got {problem!r}")
    t = TARP_RATES[problem]
    if resolved_reading == "exclusive":
        return RepurchaseTree(
            failure_share, complaint_share, quick_share, resolved_share, unresolved_share,
            no_failure_rate, t.did_not_complain, t.resolved_quickly, t.resolved, t.not_resolved,
        )  # fmt: skip
    if resolved_reading != "inclusive":
        raise InvalidInputError(
            f"resolved_reading must be 'exclusive' or 'inclusive'; got {resolved_reading!r}"
        )
    resolution = InclusiveResolution(
        resolved_share=resolved_share,
        resolved_rate=t.resolved,
        quick_share=quick_share,
        quick_rate=t.resolved_quickly,
        unresolved_share=unresolved_share,
        unresolved_rate=t.not_resolved,
    )
    return RepurchaseTree.from_inclusive(
        failure_share=failure_share,
        complaint_share=complaint_share,
        no_failure_rate=no_failure_rate,
        no_complaint_rate=t.did_not_complain,
        resolution=resolution,
    )
