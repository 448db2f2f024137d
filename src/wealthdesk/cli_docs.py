"""Render the CLI reference (docs/cli.md) from the Typer app itself, so it cannot drift."""

from __future__ import annotations

from typer.testing import CliRunner

HELP_WIDTH = "100"


def command_names() -> list[str]:
    """Names of the registered `wealthdesk` commands in definition order, groups' commands as "group command"."""
    from wealthdesk.cli import app

    def names_of(typer_app: object, prefix: str) -> list[str]:
        names = []
        for info in typer_app.registered_commands:  # type: ignore[attr-defined]
            name = info.name or (info.callback.__name__ if info.callback else "")
            names.append(prefix + name.replace("_", "-"))
        for group in typer_app.registered_groups:  # type: ignore[attr-defined]
            names += names_of(group.typer_instance, f"{prefix}{group.name} ")
        return names

    return names_of(app, "")


def command_help(args: list[str]) -> str:
    """The --help text of ``wealthdesk *args`` as a user sees it (plain text, fixed width)."""
    from wealthdesk.cli import app

    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": HELP_WIDTH, "NO_COLOR": "1", "TERM": "dumb"})
    if result.exit_code != 0:
        raise RuntimeError(f"`wealthdesk {' '.join(args)} --help` failed: {result.output}")
    return "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())


def render_cli_markdown() -> str:
    """Markdown with the --help text of every command."""
    parts = [
        "# Command-line reference",
        "",
        "Generated from the code by `wealthdesk docs`; do not edit by hand.",
        "",
        "```text",
        command_help([]),
        "```",
    ]
    for name in command_names():
        parts += ["", f"## wealthdesk {name}", "", "```text", command_help(name.split()), "```"]
    return "\n".join(parts) + "\n"
