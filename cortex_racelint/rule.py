"""The rule base class: what a rule declares and how it reports.

A rule is one class (Fixit's layout): its code, name and message, the documentation
sections Ruff's rule pages have (plus *Free-threading impact*), and VALID/INVALID
examples that are at once its tests and its documentation. Visitor methods named
`visit_<Node>` / `leave_<Node>` are dispatched by the engine in one batched pass.
"""

from __future__ import annotations

import re

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Optional, Sequence, Union

import libcst as cst

from .analysis.context import LintContext
from .ftypes import Config, Consequence, FixApplicability, FlowStep, GilExposure, SharedObject, WithheldFix
from .prose import first_sentence

if TYPE_CHECKING:
    from .analysis.ast_facts import AstFacts

Replacement = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]


@dataclass(frozen=True)
class Valid:
    """Code the rule must not report."""

    code: str

    @property
    def source(self) -> str:
        return _example(self.code)


def _example(code: str) -> str:
    """Examples are written indented in triple quotes; line 1 is the first code line."""
    return textwrap.dedent(code).lstrip("\n")


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report at `line`; `expected_fix` is the fixed module, if any."""

    code: str
    line: int
    expected_fix: Optional[str] = None
    unsafe: bool = False

    @property
    def source(self) -> str:
        return _example(self.code)

    @property
    def fixed(self) -> Optional[str]:
        return _example(self.expected_fix) if self.expected_fix is not None else None


@dataclass(frozen=True)
class AddImport:
    """Module edit: make `import module` available (reusing an existing import)."""

    module: str
    name: Optional[str] = None

    @property
    def key(self) -> str:
        return f"import:{self.module}:{self.name}"


@dataclass(frozen=True)
class InsertStatement:
    """Module edit: put `code` right after (or before) the statement `anchor`.

    `key` deduplicates: two fixes asking for the same lock global add it once.
    """

    anchor: cst.CSTNode
    code: str
    key: str
    before: bool = False


ModuleEdit = Union[AddImport, InsertStatement]


@dataclass
class Fix:
    """Node replacements (by identity) plus module edits, with an applicability."""

    message: str
    replacements: dict[cst.CSTNode, Replacement] = field(default_factory=dict)
    edits: list[ModuleEdit] = field(default_factory=list)
    applicability: FixApplicability = FixApplicability.SAFE


class HelperMissing(str):
    """A `no_fix_reason` for a fix that needs a helper module the project does not have.

    It is the reason text (every `(fix, reason)` path carries it unchanged) plus the
    `WithheldFix` that `Rule.report` puts on the finding, so `--fix` can say which
    requested fix it could not write.
    """

    withheld: WithheldFix

    def __new__(cls, text: str, withheld: WithheldFix) -> "HelperMissing":
        reason = super().__new__(cls, text)
        reason.withheld = withheld
        return reason


@dataclass
class Report:
    """A finding while the tree is still alive (the engine turns it into `Finding`)."""

    code: str
    message: str
    node: cst.CSTNode
    fix: Optional[Fix]
    no_fix_reason: Optional[str] = None
    window: Optional["WindowNodes"] = None
    withheld: Optional[WithheldFix] = None
    consequence: Optional[Consequence] = None
    #: set on another site of the race reported at `primary`: shown as one of its related
    #: locations, not as a finding of its own, and fixed with it
    primary: Optional[cst.CSTNode] = None
    #: thread entry -> calls -> this access, across files (`FlowStep`s; the last one is placed here)
    flow: tuple[FlowStep, ...] = ()
    #: the object a project-wide finding's threads share (`ftypes.SharedObject`)
    shared: Optional[SharedObject] = None


@dataclass(frozen=True)
class WindowNodes:
    """The race window as nodes: check, act, and the call a hook can hold."""

    check: cst.CSTNode
    act: cst.CSTNode
    hold_call: Optional[cst.Call]
    exposure: GilExposure


class Rule:
    """Base class. Subclasses set the class attributes and write visitor methods."""

    CODE: ClassVar[str] = ""
    NAME: ClassVar[str] = ""
    MESSAGE: ClassVar[str] = ""
    #: evidence the prefilter looks for: a file with none of these is never parsed
    EVIDENCE: ClassVar[tuple[Union[str, "re.Pattern[bytes]"], ...]] = ()  # a str occurs, or a bytes regex matches
    WHAT: ClassVar[str] = ""
    WHY: ClassVar[str] = ""
    FREE_THREADING: ClassVar[str] = ""
    FIX_SAFETY: ClassVar[str] = ""
    KNOWN_PROBLEMS: ClassVar[str] = ""
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    #: the applicability of the fix this rule offers, None when it reports only
    FIX: ClassVar[Optional[FixApplicability]] = FixApplicability.SAFE
    #: what goes wrong when the race fires, unless a report says more precisely (`report(consequence=)`)
    CONSEQUENCE: ClassVar[Optional[Consequence]] = None
    #: how the consequence and severity are decided, for the rule page (when `CONSEQUENCE` is per finding)
    CONSEQUENCES: ClassVar[str] = ""
    #: enabled only when `select` names the full code (not by a prefix or `ALL`): a rule that is
    #: right but reports what is usually harmless, so a team opts in knowingly
    OPT_IN: ClassVar[bool] = False
    #: runs only in phase 2 of a project run, on files with project facts (`project.join`)
    PROJECT: ClassVar[bool] = False

    def __init__(self, context: LintContext) -> None:
        self.context = context
        self.reports: list[Report] = []

    def report(
        self,
        node: cst.CSTNode,
        message: Optional[str] = None,
        *,
        fix: Optional[Fix] = None,
        no_fix_reason: Optional[str] = None,
        window: Optional[WindowNodes] = None,
        consequence: Optional[Consequence] = None,
        primary: Optional[cst.CSTNode] = None,
        flow: tuple[FlowStep, ...] = (),
        shared: Optional[SharedObject] = None,
    ) -> None:
        consequence = consequence or self.CONSEQUENCE
        text = message or self.MESSAGE
        self.reports.append(
            Report(
                code=self.CODE,
                message=consequence.in_message(text) if consequence is not None else text,
                node=node,
                fix=fix,
                no_fix_reason=str(no_fix_reason) if no_fix_reason is not None else None,  # plain text: findings are pickled
                window=window,
                withheld=no_fix_reason.withheld if isinstance(no_fix_reason, HelperMissing) else None,
                consequence=consequence,
                primary=primary,
                flow=flow,
                shared=shared,
            )
        )

    @classmethod
    def ast_candidate(cls, facts: "AstFacts") -> bool:
        """Second prefilter stage: can a module with these `ast` facts hold the pattern?

        Override with a cheap check of `analysis.ast_facts.AstFacts`; the default keeps the rule.
        Must never return False for a module the rule would report on.
        """
        return True

    @classmethod
    def ast_statements(cls, facts: "AstFacts") -> Optional[set[int]]:
        """Third prefilter stage: the module-body statements outside which this rule never reports.

        Return indices (into the module body, as in `AstFacts.statements`) when the rule
        looks at nothing but the statement its shape is in, plus module-level code; a
        checked file is then parsed with every other def and class reduced to a stub.
        The default, None, means the rule needs the whole module.
        """
        return None

    @classmethod
    def config_evidence(cls, config: Config) -> tuple[str, ...]:
        """Text from the configuration that makes a file a candidate whatever its `ast` facts
        (the project's own thread entries); such a file is parsed whole. None by default."""
        return ()

    @classmethod
    def has_ast_candidate(cls) -> bool:
        return cls.ast_candidate.__func__ is not Rule.ast_candidate.__func__  # type: ignore[attr-defined]

    @classmethod
    def summary(cls) -> str:
        """The first sentence of `WHAT` (whole, never cut mid-sentence): catalogues, SARIF's short description."""
        if not cls.WHAT:
            return cls.MESSAGE
        return first_sentence(textwrap.dedent(cls.WHAT).strip().split("\n\n")[0])
