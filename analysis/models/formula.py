"""lme4-style model formulas: parsing, printing and simplification.

A formula such as
``value ~ direction * session + (1 + direction | subject) + (1 | subject:session)``
is parsed into a :class:`ModelSpec`. Fixed effects are a set of interaction terms (tuples of
variable names); random effects are :class:`RandomTerm` objects. Which random structures
statsmodels' MixedLM can represent is decided in :mod:`analysis.models.design`, where the data
are known.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


class FormulaError(ValueError):
    """A model formula that cannot be parsed or fitted; the message says what to write instead."""


@dataclass(frozen=True)
class RandomTerm:
    """One lme4 random-effects term ``(expr | group)``.

    ``group`` holds the grouping factors joined by ``:`` in lme4 (``("subject", "session")`` for
    ``subject:session``). ``intercept`` and ``slopes`` describe ``expr``.
    """

    group: tuple[str, ...]
    intercept: bool = True
    slopes: tuple[str, ...] = ()

    @property
    def group_label(self) -> str:
        return ":".join(self.group)

    @property
    def expr_label(self) -> str:
        parts = ["1" if self.intercept else "0", *self.slopes]
        return " + ".join(parts)

    def __str__(self) -> str:
        return f"({self.expr_label} | {self.group_label})"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed lme4 formula.

    ``fixed`` lists the fixed-effect terms (without the intercept) in R's order: by degree, then
    by first appearance. Each term is a tuple of variable names (``("direction", "session")`` is
    ``direction:session``).
    """

    response: str
    fixed: tuple[tuple[str, ...], ...]
    random: tuple[RandomTerm, ...]
    intercept: bool = True

    @property
    def formula(self) -> str:
        """The formula in lme4 syntax (a canonical form, so equal models print equally)."""
        rhs = [] if self.intercept else ["0"]
        rhs += _compact_fixed(self.fixed)
        if not rhs:
            rhs = ["1"]
        rhs += [str(r) for r in self.random]
        return f"{self.response} ~ {' + '.join(rhs)}"

    @property
    def fixed_variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for t in self.fixed for v in t))

    @property
    def random_variables(self) -> tuple[str, ...]:
        names = [v for r in self.random for v in (*r.group, *r.slopes)]
        return tuple(dict.fromkeys(names))

    @property
    def variables(self) -> tuple[str, ...]:
        names = (self.response, *self.fixed_variables, *self.random_variables)
        return tuple(dict.fromkeys(names))

    def __str__(self) -> str:
        return self.formula


def _compact_fixed(terms: tuple[tuple[str, ...], ...]) -> list[str]:
    """Print a hierarchical set of terms as its maximal terms joined by ``*``."""
    sets = [frozenset(t) for t in terms]
    maximal = [t for t, s in zip(terms, sets, strict=True) if not any(s < o for o in sets)]
    closure = {
        frozenset(c)
        for m in maximal
        for k in range(1, len(m) + 1)
        for c in itertools.combinations(m, k)
    }
    if closure == set(sets):
        return ["*".join(m) for m in maximal]
    return [":".join(t) for t in terms]


def parse_formula(formula: str) -> ModelSpec:
    """Parse an lme4-style mixed-model formula.

    Supported: ``+``, ``*``, ``:`` and ``0``/``1``/``-1`` in the fixed part; random terms
    ``(1 | g)``, ``(1 + x | g)``, ``(0 + x | g)``, ``(x | g)`` (intercept implied, as in lme4),
    ``(1 | g:h)`` and ``(1 | g/h)`` (expanded to ``(1 | g) + (1 | g:h)``).

    Parameters
    ----------
    formula : str
        For example ``"value ~ direction * session + (1 + direction | subject)"``.

    Returns
    -------
    ModelSpec

    Raises
    ------
    FormulaError
        With a message that says what is wrong and what to write instead.

    Examples
    --------
    >>> spec = parse_formula("value ~ direction * session + (1 | subject/session)")
    >>> spec.fixed
    (('direction',), ('session',), ('direction', 'session'))
    >>> [str(r) for r in spec.random]
    ['(1 | subject)', '(1 | subject:session)']
    """
    if formula.count("~") != 1:
        raise FormulaError(
            f"formula {formula!r} needs exactly one '~' "
            "(write e.g. 'value ~ direction + (1 | subject)')"
        )
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not _NAME.match(lhs):
        raise FormulaError(
            f"response {lhs!r} must be a plain column name (transform the column before modelling)"
        )
    parts = _split_top(rhs, "+")
    intercept = True
    fixed: list[tuple[str, ...]] = []
    random: list[RandomTerm] = []
    for part in parts:
        part = part.strip()
        if not part:
            raise FormulaError(f"empty term in {formula!r}")
        if part.startswith("("):
            if not part.endswith(")"):
                raise FormulaError(f"cannot parse {part!r} in {formula!r}")
            random.extend(_parse_random(part[1:-1], formula))
        elif part in ("0", "-1"):
            intercept = False
        elif part == "1":
            intercept = True
        elif part.startswith("-"):
            raise FormulaError(
                f"term removal {part!r} is not supported; write the terms you want explicitly"
            )
        else:
            fixed.extend(_expand_fixed(part, formula))
    fixed = _order_terms(fixed)
    if not random:
        raise FormulaError(
            f"{formula!r} has no random-effects term; a mixed model needs at least one, "
            "e.g. '+ (1 | subject)'"
        )
    return ModelSpec(
        response=lhs, fixed=tuple(fixed), random=tuple(_dedupe(random)), intercept=intercept
    )


def _split_top(text: str, sep: str) -> list[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _check_name(name: str, formula: str) -> str:
    name = name.strip()
    m = re.fullmatch(r"(?:factor|C)\((.+)\)", name)
    if m:
        name = m.group(1).strip()
    if not _NAME.match(name):
        raise FormulaError(
            f"{name!r} in {formula!r} is not a column name; transformations such as log(x) or "
            "I(x^2) are not supported, add the transformed column to the data instead"
        )
    return name


def _expand_fixed(part: str, formula: str) -> list[tuple[str, ...]]:
    factors = [f.strip() for f in part.split("*")]
    expanded: list[tuple[str, ...]] = []
    pieces = [[tuple(_check_name(v, formula) for v in f.split(":"))] for f in factors]
    for k in range(1, len(pieces) + 1):
        for combo in itertools.combinations(pieces, k):
            names: list[str] = []
            for (term,) in combo:
                names.extend(term)
            expanded.append(tuple(dict.fromkeys(names)))
    return expanded


def _order_terms(terms: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    unique: list[tuple[str, ...]] = []
    seen: set[frozenset[str]] = set()
    for t in terms:
        if frozenset(t) not in seen:
            seen.add(frozenset(t))
            unique.append(t)
    return sorted(unique, key=lambda t: (len(t), unique.index(t)))


def _parse_random(inner: str, formula: str) -> list[RandomTerm]:
    if "||" in inner:
        raise FormulaError(
            f"'||' in ({inner}) is not supported: lme4 does not uncorrelate factor slopes with it "
            "either. Write separate terms, e.g. (1 | subject) + (0 + speed | subject) for a "
            "numeric slope or (1 | subject) + (1 | subject:direction) for a factor"
        )
    halves = inner.split("|")
    if len(halves) != 2:
        raise FormulaError(f"random term ({inner}) in {formula!r} must look like (1 + x | group)")
    expr, group = (h.strip() for h in halves)
    intercept = True
    slopes: list[str] = []
    for tok in (t.strip() for t in expr.split("+")):
        if tok == "1":
            intercept = True
        elif tok in ("0", "-1"):
            intercept = False
        elif ":" in tok or "*" in tok:
            raise FormulaError(
                f"interaction {tok!r} inside random term ({inner}) is not supported; use a "
                "grouping factor instead, e.g. (1 | subject:direction:session)"
            )
        else:
            slopes.append(_check_name(tok, formula))
    if not intercept and not slopes:
        raise FormulaError(f"random term ({inner}) has neither intercept nor slope")
    if "/" in group:
        nested = [_check_name(g, formula) for g in group.split("/")]
        return [
            RandomTerm(tuple(nested[: i + 1]), intercept, tuple(slopes)) for i in range(len(nested))
        ]
    names = tuple(_check_name(g, formula) for g in group.split(":"))
    return [RandomTerm(names, intercept, tuple(slopes))]


def _dedupe(terms: list[RandomTerm]) -> list[RandomTerm]:
    return list(dict.fromkeys(terms))


# -- editing specs (used by the singular-fit simplification and by analyse_outcomes) -------------


def drop_variable(spec: ModelSpec, variable: str) -> tuple[ModelSpec, list[str]]:
    """Remove a variable everywhere: fixed terms containing it, slopes on it, grouping by it.

    A random term grouped by ``subject:variable`` becomes redundant with ``subject`` when the
    variable has one level, so it is dropped, not merged.

    Examples
    --------
    >>> spec = parse_formula("y ~ direction * session + (1 | subject) + (1 | subject:session)")
    >>> new, notes = drop_variable(spec, "session")
    >>> new.formula
    'y ~ direction + (1 | subject)'
    """
    notes: list[str] = []
    fixed = tuple(t for t in spec.fixed if variable not in t)
    if len(fixed) != len(spec.fixed):
        notes.append(f"dropped fixed terms with '{variable}'")
    random: list[RandomTerm] = []
    for term in spec.random:
        if variable in term.group:
            notes.append(f"dropped random term {term}")
            continue
        if variable in term.slopes:
            slopes = tuple(s for s in term.slopes if s != variable)
            if not slopes and not term.intercept:
                notes.append(f"dropped random term {term}")
                continue
            new = replace(term, slopes=slopes)
            notes.append(f"replaced random term {term} by {new}")
            term = new
        random.append(term)
    return replace(spec, fixed=fixed, random=tuple(_dedupe(random))), notes


def drop_random_term(spec: ModelSpec, term: RandomTerm) -> ModelSpec:
    """Remove one random-effects term."""
    return replace(spec, random=tuple(r for r in spec.random if r != term))


def replace_random_term(spec: ModelSpec, term: RandomTerm, new: list[RandomTerm]) -> ModelSpec:
    """Replace ``term`` by the terms in ``new`` (in place, keeping the order of the others)."""
    out: list[RandomTerm] = []
    for r in spec.random:
        out.extend(new if r == term else [r])
    return replace(spec, random=tuple(_dedupe(out)))
