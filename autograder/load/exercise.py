"""An exercise is data: given values, quantities, a reference program and a catalogue of mistakes.

Each exercise is a folder holding ``exercise.toml`` and the solved quiz script (the reference).
The engine knows no exercise by name; it reads these folders from the installed `solutions`
package (built from ``source/`` by ``gdlab build``). ``schema.py`` declares and checks
every field of ``exercise.toml``; ``docs/exercise-format.md`` is its reference page.

Over ~300 lines: the model (an Exercise and its parts), building it from the checked spec, and
the per-process caches every stage shares (drawn cases, prepared data, published values) are
kept together while other work reshapes the stages that read them; parsing and checking
(`schema`), the published values (`published_given`) and pandas data (`frames`) are apart. The
next seams to cut: the data preparation (`_prepare`) and the registry (`available`, `get`).

numpy is imported where cases are drawn or prepared, not with the module: a TEST RUN loads its
exercise and sends the job before the grader imports numpy (`judge.grader`).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.errors import UserError
from autograder.load import frames, spec_cache
from autograder.load.program import ALIAS_SEPARATOR, SOFT
from autograder.run.sandbox import Limits
from autograder.run.trace import Point

if TYPE_CHECKING:
    import numpy as np

    from autograder.load import schema


class ExerciseError(UserError):
    """An exercise folder is missing or malformed (a course author's mistake, said in one line)."""


@dataclass(frozen=True)
class Quantity:
    """A value the student computes and we check, e.g. ``error_term``."""

    name: str
    points: float
    about: str
    #: What to evaluate in the student's namespace; usually just the variable's name.
    expr: str
    #: Other names the lesson used for it (its first edition's): found there, full credit.
    aliases: tuple[str, ...] = ()
    #: An intermediate the original quiz did not ask for: checked (for no points) and used for
    #: diagnosis and carried-forward credit when the program defines it, never missed.
    optional: bool = False


@dataclass(frozen=True)
class Step:
    """A TODO line inside a training loop, checked where it runs (``[steps]``, see trace.py).

    `id` names the check; `name` is the variable the line binds; `at` is the trace point where
    it is observed; its points are taken from the quantity `part_of` (whose lab cell counts them).
    """

    id: str
    name: str
    at: str
    points: float
    part_of: str
    about: str


@dataclass(frozen=True)
class Mistake:
    """A known wrong step, written as edits of the reference program.

    Running the edited reference gives the value a student who makes this mistake would get (or
    the exception they would see), so the same entry both recognises the mistake and builds a
    submission that makes it (tests).
    """

    quantity: str
    name: str
    hint: str
    #: (old, new) text replacements, applied in order; each `old` occurs exactly once.
    edits: tuple[tuple[str, str], ...]

    def apply(self, reference: str) -> str:
        """The reference program with this mistake made."""
        for old, new in self.edits:
            if reference.count(old) != 1:
                raise ExerciseError(
                    f"mistake {self.name!r}: {old!r} must occur exactly once in the reference"
                )
            reference = reference.replace(old, new)
        return reference


@dataclass(frozen=True)
class Published:
    """Where the published case's data comes from, when it is not written in the quiz itself.

    ``prepare`` is a given script shipped beside the quiz (as the original ``data_prep.py``);
    running it defines ``names``. It reads ``data`` from its own folder when that file exists,
    so ``--data PATH`` swaps in another data file without touching any code.
    """

    prepare: str
    names: tuple[str, ...]
    data: str
    #: Says what the default data is, shown on every TEST RUN that uses it.
    label: str = ""


@dataclass(frozen=True)
class GivenRule:
    """How to draw one given value for a hidden case.

    ``uniform = [low, high]``, ``normal = [mean, sd]`` or ``integers = [low, high]`` (inclusive);
    ``shape`` lists sizes or size names (absent: a plain Python number, ``[]``: a 0-d array);
    ``round`` keeps hidden values readable in feedback.
    """

    name: str
    dist: str
    params: tuple[float, float]
    shape: tuple[str | int, ...] | None
    round: int | None
    #: Other names a student's file may bind it to (``weights`` for ``w``).
    aliases: tuple[str, ...] = ()
    #: ``"DataFrame"`` or ``"Series"``: handed out as pandas objects, like the original's data.
    pandas: str | None = None
    #: A DataFrame's column names (the first ones used; more columns get ``x<i>``).
    columns: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """How the worker knows this value: its name and aliases (see `program`)."""
        return ALIAS_SEPARATOR.join((self.name, *self.aliases))

    def draw(self, rng: np.random.Generator, sizes: dict[str, int]) -> Any:
        import numpy as np

        shape = (
            None
            if self.shape is None
            else tuple(sizes[s] if isinstance(s, str) else s for s in self.shape)
        )
        low, high = self.params
        if self.dist == "integers":
            value: Any = rng.integers(int(low), int(high), size=shape, endpoint=True)
        elif self.dist == "normal":
            value = rng.normal(low, high, size=shape)
        else:
            value = rng.uniform(low, high, size=shape)
        if self.round is not None and self.dist != "integers":
            value = np.round(value, self.round)
        if shape is None:
            return value.item()
        if self.pandas is not None:
            return frames.as_pandas(np.asarray(value), self.pandas, self.columns, self.name)
        return np.asarray(value)


@dataclass(frozen=True)
class Case:
    """One set of given values. ``given is None`` means the published values, as in the file.

    ``key`` identifies the case's values (seed or data file) so its oracle can be reused.
    """

    name: str
    visible: bool
    given: dict[str, Any] | None
    key: tuple[Any, ...] = ()

    def given_plain(self, keys: dict[str, str] | None = None) -> dict[str, Any] | None:
        """The given values for the worker; `keys` renames them (name -> key with aliases).
        The published values may be missing from a file (it then runs as written there)."""
        if self.given is None:
            return None
        keys = keys or {}
        soft = SOFT if self.visible else ""
        return {
            soft + keys.get(name, name): frames.to_plain(value)
            for name, value in self.given.items()
        }


@dataclass(frozen=True)
class Exercise:
    """Everything the engine needs to grade one exercise."""

    id: str
    title: str
    folder: Path
    script: str
    notebook: str
    reference: str
    quantities: tuple[Quantity, ...]
    mistakes: tuple[Mistake, ...]
    given_rules: tuple[GivenRule, ...]
    sizes: dict[str, tuple[int, int]]
    hidden_cases: int
    rtol: float
    atol: float
    limits: Limits
    published: Published | None = None
    #: Given files shipped beside the quiz (release/) and the reference (solutions/).
    files: tuple[str, ...] = ()
    #: Does the exercise train a network (so its lab plots a loss curve)?
    training: bool = False
    #: Where the training loop is observed, and the steps checked there (trace.py, steps.py).
    points: tuple[Point, ...] = ()
    steps: tuple[Step, ...] = ()

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.quantities) + sum(s.points for s in self.steps)

    def cell_of(self, check: str) -> str:
        """The quantity (the lab's grade cell) a check counts toward: a step's `part_of`."""
        return next((s.part_of for s in self.steps if s.id == check), check)

    def cell_points(self, quantity: str) -> float:
        """A lab cell's points: its quantity's end-of-training points and its steps'."""
        return self.quantity(quantity).points + sum(
            s.points for s in self.steps if s.part_of == quantity
        )

    def point(self, name: str) -> Point:
        return next(p for p in self.points if p.name == name)

    @property
    def given_names(self) -> list[str]:
        return [rule.name for rule in self.given_rules]

    @cached_property
    def given_keys(self) -> dict[str, str]:
        """Given name -> the key the worker looks it up by (with its aliases)."""
        return {rule.name: rule.key for rule in self.given_rules}

    @cached_property
    def quantity_exprs(self) -> dict[str, str]:
        return {q.name: q.expr for q in self.quantities}

    def quantity(self, name: str) -> Quantity:
        return next(q for q in self.quantities if q.name == name)

    def cases(self, seed: int | None, hidden: bool = True, data: Path | None = None) -> list[Case]:
        """The published case, then `hidden_cases` drawn from `seed` (same seed, same cases).

        `data` replaces the published data file (only for exercises that have one).
        """
        cases = [self.published_case(data)]
        if not hidden:
            return cases
        if seed is None:
            return cases + self._draw(None)
        key = (self.id, hash(self.reference), seed)
        if key not in _DRAWN:  # a class graded with one seed draws its cases once
            if len(_DRAWN) >= _MAX_DRAWN:  # a server draws new cases for every SUBMIT
                _DRAWN.pop(next(iter(_DRAWN)))
            _DRAWN[key] = self._draw(seed)
        return cases + _DRAWN[key]

    def _draw(self, seed: int | None) -> list[Case]:
        import numpy as np

        cases = []
        rng = np.random.default_rng(seed)
        for number in range(1, self.hidden_cases + 1):
            sizes = {
                name: int(rng.integers(lo, hi, endpoint=True))
                for name, (lo, hi) in self.sizes.items()
            }
            given = {rule.name: rule.draw(rng, sizes) for rule in self.given_rules}
            cases.append(
                Case(
                    f"hidden {number}",
                    visible=False,
                    given=given,
                    key=("hidden", seed, number) if seed is not None else (),
                )
            )
        return cases

    def published_case(self, data: Path | None = None) -> Case:
        """The published values: as written in the quiz, or prepared from its data file."""
        if self.published is None:
            if data is not None:
                raise ExerciseError(f"{self.id} reads no data file; --data does not apply")
            return Case(
                "published", visible=True, given=self._published_values({}, ""), key=("published",)
            )
        prepared, digest = _prepare(self.folder, self.published, data)
        return Case(
            "published",
            visible=True,
            given=self._published_values(prepared, digest),
            key=("published", digest),
        )

    def _published_values(self, prepared: dict[str, Any], digest: str) -> dict[str, Any]:
        """Every given value as the lesson hands it out (run once per process)."""
        from autograder.load import published_given

        key = (self.id, hash(self.reference), digest)
        if key not in _PUBLISHED:
            try:
                _PUBLISHED[key] = published_given.values(self, prepared)
            except Exception as error:  # the reference's own given block: an author's mistake
                raise ExerciseError(
                    f"{self.id}: cannot read the published given values "
                    f"({type(error).__name__}: {error})"
                ) from None
        return _PUBLISHED[key]


def load(folder: Path, reference: str | None = None) -> Exercise:
    """Read an exercise folder; `reference` overrides the script found there (used by build).

    The file is checked against the schema (`schema`) first: a misspelt key or a bad value stops
    here with one line naming the file, the key and a suggestion. The schema (pydantic, 0.15 s
    to import and build) is imported only for a file not checked before: the exercise built
    from a file that passed is kept, named by the file's exact text (`spec_cache`).
    """
    spec_path = folder / "exercise.toml"
    try:
        text = spec_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExerciseError(f"{spec_path} does not exist") from None
    checked = spec_cache.load(text, folder, "")
    if checked is not None:
        return replace(checked, reference=_reference(folder, checked.script, reference))
    from autograder import toml as tomllib
    from autograder.load import schema

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ExerciseError(f"{spec_path}: {error}") from None
    try:
        spec = schema.validate(data, spec_path)
    except schema.SpecError as error:
        raise ExerciseError(str(error)) from None
    exercise = _from_spec(folder, spec, _reference(folder, spec.script, reference))
    spec_cache.store(text, exercise)
    return exercise


def _reference(folder: Path, script: str, reference: str | None) -> str:
    if reference is not None:
        return reference
    try:
        return (folder / script).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExerciseError(
            f"{folder / 'exercise.toml'}: script {script!r} does not exist in {folder}"
        ) from None


def _from_spec(folder: Path, spec: schema.ExerciseSpec, reference: str) -> Exercise:
    points = tuple(
        Point(
            name,
            p.first,
            tuple(p.before),
            tuple(p.after),
            p.depth,
            p.function,
            p.label or name + " {n}",
            p.curve,
        )
        for name, p in spec.trace.items()
    )
    steps = tuple(
        Step(key, s.name or key, s.at, s.points, s.part_of, s.about)
        for key, s in spec.steps.items()
    )
    quantities = tuple(
        Quantity(
            name,
            0.0 if q.optional else q.points - sum(s.points for s in steps if s.part_of == name),
            q.about,
            q.expr or name,
            tuple(q.aliases),
            q.optional,
        )
        for name, q in spec.quantities.items()
    )
    mistakes = tuple(Mistake(m.quantity, m.name, m.hint, m.replace) for m in spec.mistakes)
    rules = tuple(
        GivenRule(
            name,
            rule.distribution,
            getattr(rule, rule.distribution),
            None if rule.shape is None else tuple(rule.shape),
            rule.round,
            tuple(rule.aliases),
            rule.pandas,
            tuple(rule.columns),
        )
        for name, rule in spec.cases.given.items()
    )
    published = spec.published
    return Exercise(
        id=folder.name,
        title=spec.title,
        folder=folder,
        script=spec.script,
        notebook=spec.notebook or f"{folder.name}.ipynb",
        reference=reference,
        quantities=quantities,
        mistakes=mistakes,
        given_rules=rules,
        sizes=dict(spec.cases.sizes),
        hidden_cases=spec.cases.hidden,
        rtol=spec.rtol,
        atol=spec.atol,
        limits=Limits(**spec.limits.model_dump()),
        published=Published(
            published.prepare, tuple(published.names), published.data, published.label
        )
        if published
        else None,
        files=tuple(spec.files),
        training=spec.training,
        points=points,
        steps=steps,
    )


_DRAWN: dict[tuple[str, int, int], list[Case]] = {}
_MAX_DRAWN = 256
_PREPARED: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
_PUBLISHED: dict[tuple[str, int, str], dict[str, Any]] = {}


def _prepare(folder: Path, published: Published, data: Path | None) -> tuple[dict[str, Any], str]:
    """Run the given preparation script (ours, trusted) in a scratch folder holding `data`."""
    from autograder.judge.reference import quiet_namespace, quiet_numpy

    script = folder / published.prepare
    if data is not None and not data.is_file():
        raise ExerciseError(f"{data}: no such data file")
    digest = hashlib.sha256(data.read_bytes()).hexdigest()[:16] if data else "default"
    cache_key = (str(script), digest)
    if cache_key not in _PREPARED:
        with tempfile.TemporaryDirectory(prefix="gdlab-data-") as scratch:
            copy = Path(scratch) / script.name
            shutil.copy(script, copy)
            if data is not None:
                shutil.copy(data, Path(scratch) / published.data)
            namespace = quiet_namespace(__file__=str(copy))
            namespace["__name__"] = copy.stem
            try:
                with quiet_numpy():  # our program: one at a time (numpy's global random state)
                    exec(compile(copy.read_text(encoding="utf-8"), str(copy), "exec"), namespace)
            except Exception as error:
                raise ExerciseError(
                    f"{data or script}: cannot prepare the data ({type(error).__name__}: {error})"
                ) from None
        given = {name: namespace[name] for name in published.names}
        _PREPARED[cache_key] = (given, digest)
    return _PREPARED[cache_key]


def solutions_root() -> Path:
    """Where the built exercises live: the `solutions` package (instructor side only)."""
    try:
        import solutions
    except ImportError:  # a student's install (course mode, `autograder.mode`)
        raise ExerciseError(
            "the references are not installed here (a student's course install): "
            "this is done on the course server"
        ) from None

    return Path(solutions.__file__).parent


def available() -> list[str]:
    """Exercise ids, in the course's order (``order`` in exercise.toml, then by name)."""
    from autograder import toml as tomllib

    folders = _folders(solutions_root())

    def order(folder: Path) -> tuple[int, str]:
        try:  # a malformed file sorts last here; loading it says what is wrong
            spec = tomllib.loads((folder / "exercise.toml").read_text(encoding="utf-8"))
            return int(spec.get("order", 99)), folder.name
        except (tomllib.TOMLDecodeError, TypeError, ValueError):
            return 99, folder.name

    return [p.name for p in sorted(folders, key=order)]


def ids() -> set[str]:
    """The installed exercises' ids, reading no exercise.toml (`available` puts them in order,
    which takes reading every one: a batch asks only whether its exercises are known)."""
    return {p.name for p in _folders(solutions_root())}


def _folders(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if (p / "exercise.toml").is_file()]


def get(exercise_id: str) -> Exercise:
    """Load an exercise by id, with a one-line error that lists the known ones (in order:
    only then is every exercise.toml read, a TEST RUN reads its own)."""
    root = solutions_root()
    if exercise_id not in {p.name for p in _folders(root)}:
        known = available()
        raise ExerciseError(f"unknown exercise {exercise_id!r}; known: {', '.join(known)}")
    return load(root / exercise_id)
