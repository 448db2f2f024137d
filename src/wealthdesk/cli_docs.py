"""Render the CLI reference (docs/cli.md) from the Typer app itself, so it cannot drift."""

from __future__ import annotations

import click
import typer.main


def render_cli_markdown() -> str:
    """Markdown with the --help text of every command."""
    from wealthdesk.cli import app

    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    root = click.Context(group, info_name="wealthdesk", terminal_width=100, max_content_width=100)
    parts = [
        "# Command-line reference",
        "",
        "Generated from the code by `wealthdesk docs`; do not edit by hand.",
        "",
        "```text",
        group.get_help(root).rstrip(),
        "```",
    ]
    for name in group.list_commands(root):
        command = group.get_command(root, name)
        assert command is not None
        ctx = click.Context(command, info_name=name, parent=root, terminal_width=100, max_content_width=100)
        parts += ["", f"## wealthdesk {name}", "", "```text", command.get_help(ctx).rstrip(), "```"]
    return "\n".join(parts) + "\n"
