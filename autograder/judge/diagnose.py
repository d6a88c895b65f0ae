"""Say what went wrong, not just that it did: error carried forward and named mistakes.

For each case an `Oracle` holds the reference's values. A wrong value is then looked at twice:

* carried forward: recompute the quantity's step from the student's own upstream values; if the
  student's value matches that, the step itself is right and the slip was earlier;
* named mistakes: recompute it with each catalogued mistake made (locally, from the student's
  upstream values, and globally, from the given values); a match names the mistake.

Somewhat over ~300 lines, one job: the oracle's two ways of explaining a wrong value (carried
forward, named mistakes) share its namespace and its cached runs of the mistaken references.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from autograder.judge import names, published_cache, reference
from autograder.judge.compare import accepts, as_real, close
from autograder.load.exercise import Case, Exercise, ExerciseError, Mistake
from autograder.run.values import Value


@dataclass(frozen=True)
class Diagnosis:
    """What the diagnosis found for one wrong value."""

    carried_forward: bool = False
    #: The student's wrong upstream quantities this verdict rests on: those the value was
    #: carried forward from, or those a mistake was recognised from.
    upstream: tuple[str, ...] = ()
    mistake: Mistake | None = None


def expected_array(exercise: Exercise, name: str, value: Any) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseError(
            f"{exercise.id}: the reference's {name} is not a real number ({type(value).__name__})"
        ) from None


@dataclass
class Oracle:
    """The reference's view of one case; mistaken variants are computed only when needed.

    Build it with `oracle_for`, which reuses the oracle of a case already seen (the same seed,
    the same data file): a class graded with one seed runs the reference once per case.
    """

    exercise: Exercise
    case: Case
    #: Per mistake: the edited reference's final namespace, or the exception it raised.
    _mutant_runs: dict[str, dict[str, Any] | BaseException] = field(default_factory=dict)
    #: Per (mistake, quantity): that quantity's value in the mistake's run (None: none). A
    #: wrong value asks for the same few several times (`_made_elsewhere` asks for every
    #: earlier mistake's), and each answer costs an eval in a copy of the run's namespace.
    _mutant_values: dict[tuple[str, str], np.ndarray | None] = field(default_factory=dict)

    @cached_property
    def namespace(self) -> dict[str, Any]:
        return reference.run(self.exercise.reference, self.case.given)

    @cached_property
    def expected(self) -> dict[str, np.ndarray]:
        cached = published_cache.load(self.exercise, self.case)
        if cached is not None:
            return cached
        names = self.exercise.quantity_exprs
        expected = {
            q: expected_array(self.exercise, q, eval(expr, dict(self.namespace)))
            for q, expr in names.items()
        }
        published_cache.store(self.exercise, self.case, expected)
        return expected

    def diagnose(
        self,
        name: str,
        received: Value,
        student: dict[str, Value],
        frozen: frozenset[str] = frozenset(),
    ) -> Diagnosis:
        """Explain why `received` (the student's `name`) is not the expected value.

        `frozen` names the student's quantities that kept their published-example value on this
        case: typed in, not computed. A step built on them earns no carried-forward credit,
        or a file of copied numbers would be "right given" its own copies.
        """
        if isinstance(as_real(received), str):
            return Diagnosis()
        scope = self._scope_with(student, name)
        steps = _steps(self.exercise, self.exercise.reference)
        local = _as_array(steps.evaluate(name, scope))
        tol = self.exercise.rtol, self.exercise.atol
        expected = self.expected[name]
        wrong = _wrong_upstream(
            self.exercise,
            steps,
            name,
            student,
            lambda q: accepts(self.expected[q], student[q], *tol),
            lambda q: self._follows(steps, q, student),
        )
        if frozen.intersection(wrong):  # built on copied values: no credit, no local verdict
            return Diagnosis(mistake=self._named_mistake(name, received, student, local=False))
        optional = [q for q in wrong if self.exercise.quantity(q).optional]
        if optional:  # a slip in a step worth no points is paid for where it lands
            return Diagnosis(
                mistake=self._named_mistake(name, received, student, local=False)
                or self._mistake_upstream(name, received, optional)
            )
        if (
            local is not None
            and not close(local, expected, *tol)
            and accepts(local, received, *tol)
        ):
            return Diagnosis(carried_forward=True, upstream=wrong)
        mistake = self._named_mistake(name, received, student, local=False)
        if mistake is None:
            mistake = self._named_mistake(name, received, student, local=True)
            if mistake is not None:
                return Diagnosis(upstream=wrong, mistake=mistake)
        made = self._made_elsewhere(name, received, student, mistake)
        if made is not None:  # one slip, named once: where it was made
            return Diagnosis(upstream=(made.quantity,))
        return Diagnosis(mistake=mistake)

    def _made_elsewhere(
        self, name: str, received: Value, student: dict[str, Value], found: Mistake | None
    ) -> Mistake | None:
        """An earlier quantity's catalogued mistake that the student made there and that also
        gives this value, where the mistake `found` here (if any) would have left that
        quantity right: the slip is there, not here. (A sign flipped in relu_network's error
        gives the weights of "step goes uphill", which leaves the error right; the weights'
        line is right.) Only quantities computed together, with no step of their own, need
        this: a step's line is checked on the student's upstream values first (error carried
        forward)."""
        tol = self.exercise.rtol, self.exercise.atol
        order = [q.name for q in self.exercise.quantities]
        earlier = set(order[: order.index(name)]) if name in order else set()
        for other in self.exercise.mistakes:
            if other.quantity not in earlier or other.quantity not in student:
                continue
            # First what the mistake makes of its own quantity (the student's slip, if it is
            # this one): most mistakes fail here, and the rest is not computed for them.
            there = self._mutant_value(other, other.quantity)
            if (
                there is None
                or close(there, self.expected[other.quantity], *tol)
                or not accepts(there, student[other.quantity], *tol)
            ):
                continue
            here = self._mutant_value(other, name)
            claims = None if found is None else self._mutant_value(found, other.quantity)
            if (
                (found is None or claims is not None)
                and (claims is None or close(claims, self.expected[other.quantity], *tol))
                and here is not None
                and accepts(here, received, *tol)
            ):
                return other
        return None

    def _named_mistake(
        self, name: str, received: Value, student: dict[str, Value], local: bool
    ) -> Mistake | None:
        """The first catalogued mistake whose value matches: computed from the given values
        (`local` False), or from the student's own upstream values (`local` True)."""
        tol = self.exercise.rtol, self.exercise.atol
        expected = self.expected[name]
        scope = self._scope_with(student, name) if local else {}
        for mistake in self.exercise.mistakes:
            if mistake.quantity != name:
                continue
            if local:
                source = mistake.apply(self.exercise.reference)
                candidate = _as_array(_steps(self.exercise, source).evaluate(name, scope))
            else:
                candidate = self._mutant_value(mistake, name)
            if candidate is None or close(candidate, expected, *tol):
                continue
            if _same_kind(candidate, received) and accepts(candidate, received, *tol):
                return mistake
        return None

    def _follows(self, steps: reference.Steps, name: str, student: dict[str, Value]) -> bool:
        """Is the student's `name` what its step gives on the student's own upstream values?"""
        local = _as_array(steps.evaluate(name, self._scope_with(student, name)))
        tol = self.exercise.rtol, self.exercise.atol
        return local is not None and accepts(local, student[name], *tol)

    def _mistake_upstream(self, name: str, received: Value, upstream: list[str]) -> Mistake | None:
        """A catalogued mistake in one of `upstream` whose program gives `received` for `name`."""
        tol = self.exercise.rtol, self.exercise.atol
        for mistake in self.exercise.mistakes:
            if mistake.quantity not in upstream:
                continue
            candidate = self._mutant_value(mistake, name)
            if (
                candidate is not None
                and not close(candidate, self.expected[name], *tol)
                and _same_kind(candidate, received)
                and accepts(candidate, received, *tol)
            ):
                return mistake
        return None

    def mistake_raising(self, name: str, error_type: str, message: str) -> Mistake | None:
        """The catalogued mistake at `name` whose edited reference fails exactly like this."""
        for mistake in self.exercise.mistakes:
            if mistake.quantity != name:
                continue
            outcome = self._mutant_run(mistake)
            if (
                isinstance(outcome, BaseException)
                and type(outcome).__name__ == error_type
                and str(outcome)[:300] == message
            ):
                return mistake
        return None

    def _mutant_run(self, mistake: Mistake) -> dict[str, Any] | BaseException:
        if mistake.name not in self._mutant_runs:
            try:
                source = mistake.apply(self.exercise.reference)
                self._mutant_runs[mistake.name] = reference.run(source, self.case.given)
            except Exception as error:  # a mistake may make the program fail outright
                self._mutant_runs[mistake.name] = error
        return self._mutant_runs[mistake.name]

    def _mutant_value(self, mistake: Mistake, name: str) -> np.ndarray | None:
        key = (mistake.name, name)
        if key not in self._mutant_values:
            self._mutant_values[key] = self._evaluate_mutant(mistake, name)
        return self._mutant_values[key]

    def _evaluate_mutant(self, mistake: Mistake, name: str) -> np.ndarray | None:
        scope = self._mutant_run(mistake)
        if isinstance(scope, BaseException):
            return None
        try:
            return _as_array(eval(self.exercise.quantity_exprs[name], dict(scope)))
        except Exception:
            return None

    def _scope_with(self, student: dict[str, Value], skip: str) -> dict[str, Any]:
        """The reference's namespace with the student's valid values for the other quantities.

        An optional intermediate the student left out (the original quiz did not ask for it)
        is recomputed from the student's own upstream values, so a later step is judged on what
        the student's file implies, not on the reference's value."""
        scope = dict(self.namespace)
        for q, value in student.items():
            actual = as_real(value)
            if q != skip and not isinstance(actual, str) and q.isidentifier():
                scope[q] = actual[()] if actual.ndim == 0 else actual
        steps = _steps(self.exercise, self.exercise.reference)
        for quantity in self.exercise.quantities:
            if (
                quantity.optional
                and quantity.name != skip
                and names.left_out(quantity, student.get(quantity.name, Value.missing()))
            ):
                implied = steps.evaluate(quantity.name, scope)
                if implied is not None:
                    scope[quantity.name] = implied
        return scope


def _wrong_upstream(
    exercise: Exercise,
    steps: reference.Steps,
    name: str,
    student: dict[str, Value],
    right: Any,
    follows: Any,
) -> tuple[str, ...]:
    """The student's wrong quantities that `name`'s step reads. An optional one (worth no
    points) is looked through when the student left it out or it only carries an earlier slip
    forward: the wrong ones it reads count instead."""
    wrong: list[str] = []
    for q in steps.reads.get(name, ()):
        quantity = exercise.quantity(q)
        if names.left_out(quantity, student.get(q, Value.missing())) or (
            quantity.optional and not right(q) and follows(q)
        ):
            wrong += _wrong_upstream(exercise, steps, q, student, right, follows)
        elif not right(q):
            wrong.append(q)
    return tuple(dict.fromkeys(wrong))


def _same_kind(candidate: np.ndarray, received: Value) -> bool:
    return received.kind == "real" and received.shape == candidate.shape


def _as_array(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if np.isfinite(array).all() else None


_ORACLES: dict[tuple[Any, ...], Oracle] = {}
_MAX_ORACLES = 256


def oracle_for(exercise: Exercise, case: Case) -> Oracle:
    """The oracle for `case`, shared by every submission graded on the same case values."""
    if not case.key:
        return Oracle(exercise, case)
    key = (exercise.id, hash(exercise.reference), *case.key)
    if key not in _ORACLES:
        if len(_ORACLES) >= _MAX_ORACLES:
            _ORACLES.pop(next(iter(_ORACLES)))
        _ORACLES[key] = Oracle(exercise, case)
    return _ORACLES[key]


_STEPS: dict[tuple[str, int], reference.Steps] = {}


def _steps(exercise: Exercise, source: str) -> reference.Steps:
    """Parsed steps of a (possibly mistaken) reference, cached for the life of the process."""
    key = (exercise.id, hash(source))
    if key not in _STEPS:
        _STEPS[key] = reference.Steps(source, list(exercise.quantity_exprs))
    return _STEPS[key]
