"""The root types: every domain's queries and mutations, each field with its rule."""

from __future__ import annotations

import strawberry

from gql_portal.permissions.rules import Anyone, SignedIn
from gql_portal.resolvers import accounts
from gql_portal.schema import accounts as account_types  # noqa: F401  (registers types)
from gql_portal.schema.fields import field, mutation

ANYONE = Anyone()


@strawberry.type
class Query:
    viewer = field(ANYONE, accounts.viewer, description="Who is asking, and what is open to them.")


@strawberry.type
class Mutation:
    sign_up = mutation(
        ANYONE,
        accounts.sign_up,
        description="Create a company with its first administrator and a 14-day trial, and "
        "email a single-use login link that confirms the address.",
    )
    verify_email = mutation(
        ANYONE,
        accounts.verify_email,
        description="Confirm the email address with the link's token.",
    )
    resend_verification_email = mutation(
        ANYONE,
        accounts.resend_verification_email,
        description="Send a new login link to an unconfirmed address. Always true: it does not "
        "reveal whether an account exists.",
    )
    log_in = mutation(
        ANYONE,
        accounts.log_in,
        description="Log in with email and password. Sets the session cookie and returns the "
        "token for API clients.",
    )
    log_out = mutation(
        SignedIn(trial_exempt=True), accounts.log_out, description="End this session."
    )
    request_password_reset = mutation(
        ANYONE,
        accounts.request_password_reset,
        description="Email a link for choosing a new password. Always true.",
    )
    reset_password = mutation(
        ANYONE,
        accounts.reset_password,
        description="Set a new password with the reset link's token; logs out every session.",
    )
    change_password = mutation(
        SignedIn(),
        accounts.change_password,
        description="Change the password; every other session of the user is logged out.",
    )
    activate = mutation(
        SignedIn(trial_exempt=True),
        accounts.activate,
        description="Activate the account, during or after the trial. Free for accounting "
        "firms, which from then on have only the partner portal.",
    )
