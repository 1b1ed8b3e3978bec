from __future__ import annotations

import pytest


@pytest.fixture
def si(load):
    return load("shell_installer")


def test_detect_shell(si):
    assert si.detect_shell({"SHELL": "/usr/bin/zsh"}) == "zsh"
    assert si.detect_shell({"SHELL": "/bin/tcsh"}) == "bash"
    assert si.detect_shell({}) == "bash"


def test_install_is_idempotent(si, tmp_path):
    rc = tmp_path / ".bashrc"
    rc.write_text("export EDITOR=vim")
    installer = si.ShellInstaller(rc_path=rc, shell="bash")
    assert installer.is_installed() is False
    assert installer.install() is True
    assert installer.install() is False
    content = rc.read_text()
    assert content.startswith("export EDITOR=vim\n")
    assert content.count(si.MARKER) == 1 and content.count(si.END_MARKER) == 1
    assert "alias cx='cortex'" in content
    assert installer.is_installed() is True


def test_uninstall_restores_content(si, tmp_path):
    rc = tmp_path / ".zshrc"
    rc.write_text("export A=1\n")
    installer = si.ShellInstaller(rc_path=rc, shell="zsh", command="/opt/cortex/bin/cortex")
    installer.install()
    assert "bindkey '^L' _cortex_explain" in rc.read_text()
    assert installer.uninstall() is True
    assert rc.read_text() == "export A=1\n"
    assert installer.uninstall() is False


def test_missing_rc_and_home_default(si, home):
    installer = si.ShellInstaller()
    assert installer.rc_path == home / ".bashrc"
    assert installer.is_installed() is False
    path = si.install_shell_integration(home=home, shell="fish")
    assert path == home / ".config" / "fish" / "config.fish"
    assert path.read_text().count(si.MARKER) == 1
    si.install_shell_integration(home=home, shell="fish")
    assert path.read_text().count(si.MARKER) == 1
    assert "alias cx 'cortex'" in path.read_text()
