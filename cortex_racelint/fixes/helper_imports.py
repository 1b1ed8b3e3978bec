"""Whether a fix may import a helper (the pool factory, the atomic-write helpers), and if not, why.

A fix imports a helper only from a module the project has (`Config.present_helpers`,
resolved with the configuration) or one the fixed module already imports it from:
anything else would leave a module that no longer imports. The reason a fix is withheld
names the missing module and how to get it.
"""

from __future__ import annotations

from typing import Optional

from ..analysis.context import LintContext
from ..ftypes import FixApplicability, WithheldFix
from ..rule import HelperMissing

#: config key -> the `racelint scaffold` helper that writes a module for it
_SCAFFOLD = {"sqlite-pool": "db-pool", "atomic-write-module": "fileio"}


def helper_usable(context: LintContext, module: str, name: str) -> bool:
    """True if a fix may use `module.name`: the project has the module, or this file imports it already."""
    return module in context.config.present_helpers or context.imports.local_name_for(f"{module}.{name}") is not None


def missing_helper(
    context: LintContext, module: str, name: str, config_key: str, what: str, applicability: FixApplicability
) -> Optional[HelperMissing]:
    """None if the fix may import `module.name`; else the reason it is withheld.

    `what` names the form that needs the helper ("the pooled connection"), `config_key` the
    `[tool.racelint]` key that points at another module, `applicability` the fix's own.
    """
    if helper_usable(context, module, name):
        return None
    text = (
        f"{what} imports `{name}` from `{module}`, which this project does not have: "
        f"write it with `racelint scaffold {_SCAFFOLD[config_key]} PACKAGE_DIR` and set `{config_key}` "
        "in [tool.racelint] to the module it prints"
    )
    return HelperMissing(text, WithheldFix(module=module, applicability=applicability))


def missing_pool(context: LintContext) -> Optional[HelperMissing]:
    """Why CRL201's pooled connection cannot be written, if it cannot."""
    module, _, factory = context.config.sqlite_pool.partition(":")
    return missing_helper(context, module, factory, "sqlite-pool", "the pooled connection", FixApplicability.UNSAFE)


def missing_fileio(context: LintContext, name: str, what: str, applicability: FixApplicability) -> Optional[HelperMissing]:
    """Why a file-write fix using the atomic-write module's `name` cannot be written, if it cannot."""
    module = context.config.atomic_write_module
    return missing_helper(context, module, name, "atomic-write-module", what, applicability)
