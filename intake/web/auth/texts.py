"""Texts of the login, logout and error pages, Swedish first; added to the shared catalogue's lookup."""

from __future__ import annotations

from collections.abc import Callable

from intake.web.i18n import translator as base_translator

SV: dict[str, str] = {
    "login_heading": "Logga in",
    "login_intro": "För DigIT och forumens ledamöter. Du som vill lämna en idé behöver inget konto.",
    "login_email": "E-postadress",
    "login_password": "Lösenord",
    "login_submit": "Logga in",
    "login_oidc": "Logga in med kommunens konto (Microsoft)",
    "login_or": "eller med lokalt konto",
    "login_wrong": "Fel e-postadress eller lösenord.",
    "login_held": "För många misslyckade inloggningar. Försök igen om {minutes} minuter.",
    "login_missing": "Fyll i både e-postadress och lösenord.",
    "logged_out": "Du är utloggad.",
    "session_ended": "Din inloggning har gått ut. Logga in igen.",
    "logout": "Logga ut",
    "too_many_heading": "För många försök just nu",
    "too_many_text": (
        "Vi har tagit emot många förfrågningar från din adress. Vänta {seconds} sekunder och försök "
        "igen; det du skrev finns kvar om du går tillbaka."
    ),
    "logged_in_as": "Inloggad som",
    "forbidden_heading": "Du har inte behörighet",
    "forbidden_text": "Din roll ger inte tillgång till den här sidan.",
    "csrf_heading": "Formuläret har gått ut",
    "csrf_text": "Ladda om sidan och skicka formuläret igen.",
    "to_start": "Till startsidan",
    "oidc_failed": "Inloggningen hos kommunens konto misslyckades. Försök igen.",
    "oidc_no_role": "Ditt konto har ingen roll i Beredning. Kontakta DigIT.",
    "oidc_not_linked": (
        "Ett lokalt konto har redan din e-postadress. En administratör måste koppla det till ditt "
        "kommunkonto innan du kan logga in på det här sättet."
    ),
}

EN: dict[str, str] = {
    "login_heading": "Log in",
    "login_intro": "For DigIT and the forums' members. You need no account to submit an idea.",
    "login_email": "E-mail address",
    "login_password": "Password",
    "login_submit": "Log in",
    "login_oidc": "Log in with the municipality's account (Microsoft)",
    "login_or": "or with a local account",
    "login_wrong": "Wrong e-mail address or password.",
    "login_held": "Too many failed logins. Try again in {minutes} minutes.",
    "login_missing": "Fill in both the e-mail address and the password.",
    "logged_out": "You are logged out.",
    "session_ended": "Your login has expired. Please log in again.",
    "logout": "Log out",
    "logged_in_as": "Logged in as",
    "forbidden_heading": "You do not have access",
    "forbidden_text": "Your role does not give access to this page.",
    "csrf_heading": "The form has expired",
    "csrf_text": "Reload the page and send the form again.",
    "to_start": "To the start page",
    "too_many_heading": "Too many attempts right now",
    "too_many_text": (
        "We have received many requests from your address. Wait {seconds} seconds and try again; "
        "what you wrote is still there if you go back."
    ),
    "oidc_failed": "Logging in with the municipality's account failed. Please try again.",
    "oidc_no_role": "Your account has no role in Beredning. Contact DigIT.",
    "oidc_not_linked": (
        "A local account already has your e-mail address. An administrator must link it to your "
        "municipal account before you can sign in this way."
    ),
}

CATALOGUES = {"sv": SV, "en": EN}


def translator(lang: str, *extra: dict[str, dict[str, str]]) -> Callable[[str], str]:
    """Look up `key` in these texts (and `extra` catalogues), then in the shared one."""
    base = base_translator(lang)
    catalogues = [CATALOGUES, *extra]

    def t(key: str) -> str:
        for catalogue in catalogues:
            text = catalogue.get(lang, {}).get(key) or catalogue["sv"].get(key)
            if text:
                return text
        return base(key)

    return t
