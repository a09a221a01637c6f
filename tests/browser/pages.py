"""Steps that several browser journeys take."""

from tests.conftest import PASSWORD


def log_in(page, email: str) -> None:
    """Log in through the form, as a person does, and arrive in the manager area."""
    page.goto("/konto/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/manage/")
