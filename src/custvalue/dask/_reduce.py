"""Tree reductions of per-partition Dask results, with an optional progress bar.

:func:`reduce_partitions` computes one value per partition and merges them ``split_every`` at
a time in a tree, so the driver only receives the final value. With ``progress=True`` it
reports through :func:`custvalue._progress.progress_bar` (tqdm, if installed):

* on the local schedulers (threads, processes, synchronous), one step per finished task of
  the whole graph, through a ``dask.callbacks.Callback``;
* on a ``distributed.Client`` (where local callbacks never fire), one step per finished
  partition: the partition results are computed as futures, tracked with
  ``distributed.as_completed``, stay on the workers and are merged there with
  ``Client.submit``.

Part of :mod:`custvalue.dask` (it needs the ``[dask]`` extra).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from dask.base import compute as _dask_compute  # type: ignore[import-not-found,unused-ignore]
from dask.base import get_scheduler  # type: ignore[import-not-found,unused-ignore]
from dask.callbacks import Callback  # type: ignore[import-not-found,unused-ignore]
from dask.delayed import delayed as _delayed  # type: ignore[import-not-found,unused-ignore]

from custvalue._progress import ProgressBar, progress_bar

__all__ = ["reduce_partitions"]


def _tree(parts: list[Any], merge: Callable[..., Any], split_every: int) -> Any:
    node = _delayed(merge, pure=True)
    while len(parts) > 1:
        parts = [node(*parts[i : i + split_every]) for i in range(0, len(parts), split_every)]
    return parts[0] if len(parts) == 1 else node(*parts)


def _distributed_client() -> Any:
    """The ``distributed.Client`` that ``compute()`` would use now, or ``None``."""
    owner = getattr(get_scheduler(), "__self__", None)  # type: ignore[no-untyped-call,unused-ignore]
    try:
        from distributed import Client  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - distributed comes with the [dask] extra
        return None
    return owner if isinstance(owner, Client) else None


@contextlib.contextmanager
def _task_bar(desc: str) -> Iterator[None]:
    """One bar step per task finished by a local scheduler while the context is open."""
    bars: list[ProgressBar] = []

    def start_state(dsk: Any, state: dict[str, Any]) -> None:
        bars.append(
            progress_bar(True, total=len(dsk) - len(state["cache"]), desc=desc, unit="task")
        )

    def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        bars[-1].update(1)

    try:
        with Callback(start_state=start_state, posttask=posttask):  # type: ignore[no-untyped-call,unused-ignore]
            yield
    finally:
        for bar in bars:
            bar.close()


def reduce_partitions(
    part_lists: Sequence[list[Any]],
    merge: Callable[..., Any],
    split_every: int,
    *,
    progress: bool,
    desc: str,
) -> list[Any]:
    """Reduce each list of per-partition delayed values with ``merge``, all in one pass.

    Parameters
    ----------
    part_lists
        One list of ``dask.delayed`` values (one per partition) per result.
    merge
        Pure function of 1 .. ``split_every`` partial results returning a partial result.
    split_every
        Fan-in of the merge tree (>= 2).
    progress
        Show a progress bar (see the module docstring); callers validate it.
    desc
        Label of the progress bar.

    Returns
    -------
    list
        The merged value of each list, in order.
    """
    client = _distributed_client() if progress else None
    if client is None:
        graphs = [_tree(list(parts), merge, split_every) for parts in part_lists]
        with _task_bar(desc) if progress else contextlib.nullcontext():
            return list(_dask_compute(*graphs))  # type: ignore[no-untyped-call,unused-ignore]
    from distributed import as_completed  # type: ignore[import-not-found,unused-ignore]

    futures = client.compute([p for parts in part_lists for p in parts])
    bar = progress_bar(True, total=len(futures), desc=desc, unit="partition")
    try:
        for _ in as_completed(futures):  # type: ignore[no-untyped-call,unused-ignore]
            bar.update(1)
    finally:
        bar.close()
    finals, start = [], 0
    for parts in part_lists:
        level = futures[start : start + len(parts)]
        start += len(parts)
        while len(level) > 1:
            level = [
                client.submit(merge, *level[i : i + split_every])
                for i in range(0, len(level), split_every)
            ]
        finals.append(level[0] if level else client.submit(merge))
    return list(client.gather(finals))
