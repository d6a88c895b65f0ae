"""Loss curves for the feedback pages: read a training program's printed losses, plot them.

The reference's curve comes from running the reference (our own code) in our process on the
published case, as the grader's oracle does: reporting never starts a sandbox.
"""

from __future__ import annotations

import base64
import copy
import io
import logging
import math
import re
import sys
from typing import Any

from autograder.judge.reference import compiled, quiet_namespace, quiet_numpy
from autograder.load import exercise as exercises
from autograder.load.program import GIVEN_NAME

log = logging.getLogger("gdlab.feedback")

_NUMBER = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_TRAIN_LOSS = re.compile(rf"\btrain(?:ing)?[ _]loss\b\s*[:=]?\s*({_NUMBER})", re.IGNORECASE)
_ANY_LOSS = re.compile(rf"\bloss\b\s*[:=]?\s*({_NUMBER})", re.IGNORECASE)


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


def loss_plot(student: list[float], reference: list[float]) -> str:
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
            range(1, len(reference) + 1),
            reference,
            color="#8a94a6",
            linestyle="--",
            linewidth=2,
            marker="o",
            markersize=3.5,
            label="reference solution",
        )
    if student:
        axes.plot(
            range(1, len(student) + 1),
            student,
            color="#2458d3",
            linewidth=2.2,
            marker="o",
            markersize=4.5,
            label="your program",
        )
    finite = [v for v in [*student, *reference] if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 50:
        axes.set_yscale("log")
    axes.set_xlabel("loss printed during training (in order)")
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


def reference_losses(exercise: exercises.Exercise) -> list[float]:
    """The reference program's loss curve on the published case, from what it prints.

    A reference that does not run through gives ``[]`` (logged: that is for the course author
    to fix)."""
    printed = io.StringIO()

    def capture(*args: Any, file: Any = None, **kwargs: Any) -> None:
        if file is None or file is sys.stdout:
            print(*args, file=printed, **kwargs)

    try:
        case = exercise.published_case()
        given = case.given
        code = compiled(
            exercise.reference, exercise.script, None if given is None else tuple(given)
        )
        namespace = quiet_namespace()
        namespace["__builtins__"]["print"] = capture
        if given is not None:
            namespace[GIVEN_NAME] = copy.deepcopy(given)
        with quiet_numpy():
            exec(code, namespace)
    except Exception:
        log.exception("the reference of %s did not run", exercise.id)
        return []
    return parse_losses(printed.getvalue())
