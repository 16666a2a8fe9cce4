"""The texts of the emails we send (Swedish: they go to people in Swedish companies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gql_portal.clock import STOCKHOLM


@dataclass(frozen=True)
class MailText:
    subject: str
    body: str


def _when(moment: datetime) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def welcome(name: str, company_name: str, link: str, expires_at: datetime) -> MailText:
    return MailText(
        subject="Välkommen – bekräfta din e-postadress och logga in",
        body=(
            f"Hej {name}!\n\n"
            f"Ditt testkonto för {company_name} är skapat. Testperioden är 14 dagar och under "
            "den har du tillgång till alla menyval.\n\n"
            "Klicka på länken för att bekräfta din e-postadress och logga in:\n"
            f"{link}\n\n"
            f"Länken kan användas en gång och gäller till {_when(expires_at)}. Logga sedan in "
            "med din e-postadress och ditt lösenord.\n\n"
            "Har du inte skapat något konto kan du bortse från det här mejlet.\n"
        ),
    )


def verify_again(name: str, link: str, expires_at: datetime) -> MailText:
    return MailText(
        subject="Din nya inloggningslänk",
        body=(
            f"Hej {name}!\n\n"
            "Här är en ny länk för att bekräfta din e-postadress och logga in:\n"
            f"{link}\n\n"
            f"Länken kan användas en gång och gäller till {_when(expires_at)}. "
            "Tidigare länkar gäller inte längre.\n"
        ),
    )


def password_reset(name: str, link: str, expires_at: datetime) -> MailText:
    return MailText(
        subject="Återställ ditt lösenord",
        body=(
            f"Hej {name}!\n\n"
            "Någon (förhoppningsvis du) har bett om att få återställa lösenordet till ditt "
            "konto. Välj ett nytt lösenord här:\n"
            f"{link}\n\n"
            f"Länken kan användas en gång och gäller till {_when(expires_at)}. Har du inte bett "
            "om det kan du bortse från mejlet; ditt lösenord är oförändrat.\n"
        ),
    )


def password_changed(name: str) -> MailText:
    return MailText(
        subject="Ditt lösenord har ändrats",
        body=(
            f"Hej {name}!\n\n"
            "Lösenordet till ditt konto har just ändrats och alla andra inloggningar har "
            "loggats ut. Var det inte du? Återställ lösenordet direkt och kontakta din "
            "administratör.\n"
        ),
    )


def sign_up_with_taken_address(name: str, login_link: str) -> MailText:
    """To an account's owner when someone signs up with its address (the sign-up answers as
    if it worked, so that it does not tell who has an account)."""
    return MailText(
        subject="Någon försökte skapa ett konto med din e-postadress",
        body=(
            f"Hej {name}!\n\n"
            "Någon försökte just skapa ett nytt konto med din e-postadress. Det finns redan "
            "ett konto med den adressen, så inget nytt konto skapades.\n\n"
            f"Var det du? Logga in här:\n{login_link}\n\n"
            "Har du glömt lösenordet kan du be om en länk för att välja ett nytt på samma "
            "sida.\n\n"
            "Var det inte du kan du bortse från mejlet; ditt konto är oförändrat.\n"
        ),
    )


def repeated_login_failures(name: str, failures: int, window_minutes: int) -> MailText:
    """To an account's owner when many log-ins with wrong passwords were tried."""
    return MailText(
        subject="Många misslyckade inloggningsförsök på ditt konto",
        body=(
            f"Hej {name}!\n\n"
            f"Någon har försökt logga in på ditt konto med fel lösenord {failures} gånger de "
            f"senaste {window_minutes} minuterna. Försöken bromsas, men ditt konto är inte "
            "spärrat: du loggar in som vanligt.\n\n"
            "Var det inte du? Välj gärna ett nytt, starkt lösenord och tala med din "
            "administratör.\n"
        ),
    )


def invitation(
    name: str,
    company_name: str,
    inviter_name: str | None,
    link: str,
    expires_at: datetime | None,
) -> MailText:
    """An invitation to a company. With `expires_at` the link lets a new user choose a password
    (and confirms the address); without it the user already has one and just logs in."""
    invited_by = f" av {inviter_name}" if inviter_name else ""
    if expires_at is not None:
        steps = (
            "Välj ett lösenord via länken nedan, så är ditt konto klart att använda:\n"
            f"{link}\n\n"
            f"Länken kan användas en gång och gäller till {_when(expires_at)}. Har den gått ut "
            "kan du begära en ny under ”Glömt lösenordet?” på inloggningssidan.\n"
        )
    else:
        steps = f"Logga in med din e-postadress och ditt vanliga lösenord:\n{link}\n"
    return MailText(
        subject=f"Du har bjudits in till {company_name}",
        body=(
            f"Hej {name}!\n\n"
            f"Du har bjudits in till {company_name}{invited_by} i tidrapporterings- och "
            "lönetjänsten.\n\n"
            f"{steps}\n"
            "Väntade du dig inte den här inbjudan kan du bortse från mejlet.\n"
        ),
    )


COLLABORATION_EVENTS_SV = {
    "INVITED": "{client} vill samarbeta med er via partnerportalen ({level}).",
    "REQUESTED": "{firm} vill samarbeta med er via partnerportalen ({level}).",
    "ACCEPTED": "Samarbetet mellan {firm} och {client} är nu aktivt ({level}).",
    "DECLINED": "Förfrågan om samarbete mellan {firm} och {client} har avböjts.",
    "LEVEL_CHANGED": "Behörigheten i samarbetet mellan {firm} och {client} är nu {level}.",
    "LEVEL_REQUESTED": "{firm} ber om att få behörigheten {level} hos {client}.",
    "LEVEL_ACCEPTED": "{client} har godkänt att {firm} får behörigheten {level}.",
    "LEVEL_DECLINED": "{client} har avböjt ändrad behörighet; {firm} har kvar {level}.",
    "ENDED": "Samarbetet mellan {firm} och {client} har avslutats.",
}
LEVEL_SV = {"FULL": "fullständig åtkomst", "LIMITED": "begränsad åtkomst"}


def collaboration_event(event: str, *, firm: str, client: str, level: str) -> MailText:
    line = COLLABORATION_EVENTS_SV[event].format(firm=firm, client=client, level=LEVEL_SV[level])
    return MailText(
        subject=f"Partnerportalen: {line.rstrip('.')}",
        body=(
            f"Hej!\n\n{line}\n\nLogga in för att se samarbetet och svara på eventuella "
            "förfrågningar.\n"
        ),
    )
