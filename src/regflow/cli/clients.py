"""``regflow clients list``: the OpenID Connect clients of ``REGFLOW_OIDC_CLIENTS``."""

from __future__ import annotations

import typer

from regflow.settings import Settings

clients = typer.Typer(
    help="OpenID Connect clients (REGFLOW_OIDC_CLIENTS).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@clients.command("list")
def list_clients() -> None:
    """Show each client: kind, consent, redirect URIs, flows, ID token algorithm and
    organization."""
    configured = Settings().oidc_clients
    if not configured:
        typer.echo("no clients: set REGFLOW_OIDC_CLIENTS (a JSON list) to add one")
        return
    for c in configured:
        kind = "public (PKCE S256)" if c.public else "confidential (client secret)"
        consent = "first-party, no consent" if c.first_party else "asks for consent"
        typer.echo(f"{c.client_id}{f' ({c.name})' if c.name else ''}: {kind}, {consent}")
        for uri in c.redirect_uris:
            typer.echo(f"  redirect     {uri}")
        for uri in c.post_logout_redirect_uris:
            typer.echo(f"  after logout {uri}")
        typer.echo(f"  flows        {', '.join(c.flows) or 'every enabled flow'}")
        typer.echo(f"  ID tokens    {c.id_token_signed_response_alg}")
        if c.organization:
            typer.echo(f"  organization {c.organization}")
