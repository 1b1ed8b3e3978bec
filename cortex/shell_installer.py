"""Shell integration: ``cortex install-shell``.

Adds a small block to the user's shell rc file so that ``cx`` runs Cortex
and a Ctrl+L keybinding asks Cortex to explain the current command line.
The block is delimited by markers so it can be found and removed again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from cortex.utils.fileio import atomic_write_text, locked

MARKER = "# >>> cortex shell integration >>>"
END_MARKER = "# <<< cortex shell integration <<<"

_RC_FILES = {"bash": ".bashrc", "zsh": ".zshrc", "fish": ".config/fish/config.fish"}


def detect_shell(environ: Optional[dict[str, str]] = None) -> str:
    shell = (environ if environ is not None else os.environ).get("SHELL", "")
    name = Path(shell).name
    return name if name in _RC_FILES else "bash"


def integration_block(shell: str, command: str = "cortex") -> str:
    if shell == "fish":
        body = f"alias cx '{command}'\n"
    elif shell == "zsh":
        body = (
            f"alias cx='{command}'\n"
            f"_cortex_explain() {{ BUFFER=\"{command} explain '$BUFFER'\"; zle accept-line }}\n"
            "zle -N _cortex_explain\nbindkey '^L' _cortex_explain\n"
        )
    else:
        body = (
            f"alias cx='{command}'\n"
            f"bind -x '\"\\C-l\": {command} explain \"$READLINE_LINE\"' 2>/dev/null\n"
        )
    return f"\n{MARKER}\n{body}{END_MARKER}\n"


class ShellInstaller:
    """Installs/uninstalls the integration block in one rc file."""

    def __init__(
        self,
        rc_path: str | Path | None = None,
        home: Optional[Path] = None,
        shell: Optional[str] = None,
        command: str = "cortex",
    ) -> None:
        self.shell = shell or detect_shell()
        if rc_path is not None:
            self.rc_path = Path(rc_path)
        else:
            self.rc_path = (home or Path.home()) / _RC_FILES.get(self.shell, ".bashrc")
        self.command = command

    def _read(self) -> str:
        try:
            with locked(self.rc_path):
                return self.rc_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def is_installed(self) -> bool:
        return MARKER in self._read()

    def install(self) -> bool:
        """Append the block if it is not there yet. Returns True if written."""
        with locked(self.rc_path):
            content = self._read()
            if MARKER not in content:
                self.rc_path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.rc_path, "a", encoding="utf-8") as f:
                    if content and not content.endswith("\n"):
                        f.write("\n")
                    f.write(integration_block(self.shell, self.command))
                return True
        return False

    def uninstall(self) -> bool:
        """Remove the block (markers included). Returns True if removed."""
        with locked(self.rc_path):
            content = self._read()
            start = content.find(MARKER)
            if start == -1:
                return False
            end = content.find(END_MARKER, start)
            end = len(content) if end == -1 else end + len(END_MARKER)
            before = content[:start].rstrip("\n")
            after = content[end:].lstrip("\n")
            new_content = before + ("\n" if before else "") + (after if after else "")
            atomic_write_text(self.rc_path, new_content, encoding="utf-8")
        return True


def install_shell_integration(home: Optional[Path] = None, shell: Optional[str] = None) -> Path:
    """CLI entry point: install for the detected shell and return the rc path."""
    installer = ShellInstaller(home=home, shell=shell)
    installer.install()
    return installer.rc_path
