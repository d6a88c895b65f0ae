"""Loss curves for the feedback pages: the losses a training program computed, plotted.

A student's curve is what the run recorded inside its training loop (the exercise's curve trace
point, `trace.curve`), stored with the run in the gradebook: one (pass, loss) per kept pass of
the epoch loop, so the x axis is the epoch. Rows graded before the gradebook kept it (their
`losses` is NULL), and exercises that watch no curve, fall back to the lines the program printed
(``Train loss: 0.26``), in the order printed. The reference's curve comes from running the
reference (our own code) in our process on the published case, once, both ways, as the grader's
oracle does: reporting never starts a sandbox.
"""

from __future__ import annotations

import base64
import copy
import io
import logging
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autograder.judge.reference import quiet_namespace, quiet_numpy
from autograder.load import exercise as exercises
from autograder.load.program import GIVEN_NAME, compile_program
from autograder.run import trace

log = logging.getLogger("gdlab.feedback")

_NUMBER = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_TRAIN_LOSS = re.compile(rf"\btrain(?:ing)?[ _]loss\b\s*[:=]?\s*({_NUMBER})", re.IGNORECASE)
_ANY_LOSS = re.compile(rf"\bloss\b\s*[:=]?\s*({_NUMBER})", re.IGNORECASE)

#: A curve as plotted: (x, loss) pairs; x is the epoch for a traced curve, the print order else.
Points = list[tuple[int, float]]


@dataclass(frozen=True)
class ReferenceCurves:
    """The reference's curve on the published case, both ways, to match the student's."""

    #: As the trace's curve point records it; None when the exercise watches no curve.
    traced: Points | None
    #: As printed, in order.
    printed: list[float]

    def beside(self, traced: bool) -> Points:
        """The reference's curve to draw beside a student's traced or printed one."""
        if traced:
            return self.traced or []
        return in_order(self.printed)


def in_order(losses: list[float]) -> Points:
    return list(enumerate(losses, start=1))


def traced_points(losses: Sequence[tuple[int, float | None]] | None) -> Points | None:
    """A run's traced curve as plotted (a loss that was not finite drawn as nan); None for a
    row graded before curves were stored, whose page reads the printed lines instead."""
    if losses is None:
        return None
    return [(n, math.nan if v is None else v) for n, v in losses]


def parse_losses(output: str) -> list[float]:
    """The loss values a training program printed, in the order it printed them.

    The training labs print ``Train loss:  0.2627...`` a few times while training, sometimes
    followed by ``  WARNING - Loss Increasing``; the number after "Train loss" on each such line is
    one point of the curve. A program that prints its loss another way (``epoch 3 loss = 0.25``,
    ``Loss: 0.25``) is read from the first number after the word "loss" on each line, but only
    when no line has the ``Train loss`` form, so that a validation loss printed beside the training
    loss never mixes into the curve. ``nan`` and ``inf`` are kept (a diverging run is worth seeing).
    Nothing recognised: ``[]``, and the page says there is no curve and why.
    """
    train, other = [], []
    for line in output.splitlines():
        if match := _TRAIN_LOSS.search(line):
            train.append(float(match.group(1)))
        elif match := _ANY_LOSS.search(line):
            other.append(float(match.group(1)))
    return train or other


def loss_plot(student: Points, reference: Points, traced: bool = False) -> str:
    """The two loss curves as a PNG ``data:`` URI, so the page needs no other file.

    matplotlib is imported here and nowhere else: it takes longer to import than a SUBMIT takes to
    run. The figure is drawn on its own Agg canvas, without pyplot's global state, which keeps it
    safe beside other threads and independent of any configured backend.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(7.2, 3.4), dpi=130)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if reference:
        axes.plot(
            *zip(*reference, strict=True),
            color="#8a94a6",
            linestyle="--",
            linewidth=2,
            marker="o",
            markersize=3.5,
            label="reference solution",
        )
    if student:
        axes.plot(
            *zip(*student, strict=True),
            color="#2458d3",
            linewidth=2.2,
            marker="o",
            markersize=4.5,
            label="your program",
        )
    finite = [v for _, v in [*student, *reference] if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 50:
        axes.set_yscale("log")
    axes.set_xlabel("epoch" if traced else "loss printed during training (in order)")
    axes.set_ylabel("training loss")
    axes.grid(True, color="#e3e7ee", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    locator = axes.xaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # a linear axis's AutoLocator: whole report numbers
        locator.set_params(integer=True)
    axes.legend(frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def reference_curves(exercise: exercises.Exercise) -> ReferenceCurves:
    """The reference program's loss curve on the published case: traced at the exercise's
    curve point (if it has one) and printed, from one run.

    A reference that does not run through gives no curve (logged: that is for the course
    author to fix)."""
    printed = io.StringIO()

    def capture(*args: Any, file: Any = None, **kwargs: Any) -> None:
        if file is None or file is sys.stdout:
            print(*args, file=printed, **kwargs)

    points = [p for p in exercise.points if p.curve is not None]
    try:
        given = exercise.published_case().given
        code = compile_program(
            exercise.reference,
            exercise.script,
            None if given is None else tuple(given),
            rewrite=lambda tree: trace.instrument(tree, points),
        )
        namespace = quiet_namespace()
        namespace["__builtins__"]["print"] = capture
        if given is not None:
            namespace[GIVEN_NAME] = copy.deepcopy(given)
        with quiet_numpy():
            records, failure = trace.run_traced(code, namespace, points, stop=False)
        if failure is not None:
            raise failure
    except Exception:
        log.exception("the reference of %s did not run", exercise.id)
        return ReferenceCurves(None, [])
    traced = trace.curve(points, records)
    return ReferenceCurves(
        None if traced is None else [(n, math.nan if v is None else v) for n, v in traced],
        parse_losses(printed.getvalue()),
    )
