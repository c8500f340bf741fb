"""Lift a login lockout before its time is up."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labeling.accounts.login_limits import login_lockout_clear


class Command(BaseCommand):
    help = (
        "Lift the login lockout of a username and/or a client address and forget their failed "
        "logins (e.g. a lab whose shared address locked itself out). Lockouts otherwise end by "
        "themselves after LOGIN_LOCKOUT_MINUTES."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="the username that is locked out")
        parser.add_argument("--address", help="the client address (IPv4, or IPv6 in its /64)")

    def handle(self, *args, username: str | None, address: str | None, **options) -> None:
        if not username and not address:
            raise CommandError("name a --username or an --address (or both)")
        lifted = login_lockout_clear(address=address, username=username)
        for scope, value in (("username", username), ("address", address)):
            if not value:
                continue
            if scope in lifted:
                self.stdout.write(f"Lifted the lockout of {scope} {value}.")
            else:
                self.stdout.write(f"The {scope} {value} was not locked; failures forgotten.")
