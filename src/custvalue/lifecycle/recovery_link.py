"""Feeding the repurchase tree's recovery rate into the RECOVER -> RETAIN transition."""

from __future__ import annotations

from numpy.typing import ArrayLike

from custvalue.lifecycle.migration import MigrationModel, Renormalize, WhatIf
from custvalue.lifecycle.repurchase import Population, RepurchaseTree
from custvalue.lifecycle.stages import Stage

__all__ = ["link_recovery", "recovery_what_if"]


def link_recovery(
    tree: RepurchaseTree,
    model: MigrationModel,
    *,
    population: Population = "failures",
    renormalize: Renormalize = "proportional",
) -> MigrationModel:
    """Feed the tree's recovery rate into the RECOVER -> RETAIN transition of ``model``.

    ``P[RECOVER, RETAIN]`` becomes :meth:`RepurchaseTree.recovery_rate` (customers with a
    failure, or complainers only), the rest of the row renormalised by ``renormalize`` (see
    :meth:`MigrationModel.with_transition`). This reads repurchase intent as the probability
    of returning to RETAIN within one model period: match the survey's horizon to the period.
    """
    rate = tree.recovery_rate(population)
    return model.with_transition(Stage.RECOVER, Stage.RETAIN, rate, renormalize=renormalize)


def recovery_what_if(
    model: MigrationModel,
    before: RepurchaseTree,
    after: RepurchaseTree,
    rewards: ArrayLike,
    discount_rate: float,
    *,
    population: Population = "failures",
    horizon: int | None = None,
    renormalize: Renormalize = "proportional",
) -> WhatIf:
    """Change in customer value by stage when complaint handling moves ``before`` -> ``after``.

    Both trees are linked into ``model`` with :func:`link_recovery`; the result compares
    the values (Pfeifer & Carraway 2000) of the two linked chains.
    """
    m0 = link_recovery(before, model, population=population, renormalize=renormalize)
    m1 = link_recovery(after, model, population=population, renormalize=renormalize)
    v0 = m0.value(rewards, discount_rate, horizon=horizon)
    v1 = m1.value(rewards, discount_rate, horizon=horizon)
    return WhatIf(before=v0, after=v1, matrix_after=m1.matrix)
