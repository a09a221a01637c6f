"""Background tasks of the core: mail delivery."""

from django_tasks import task

from .mail import deliver


@task()
def deliver_mail(mail_id: int) -> str:
    """Idempotent: a mail that is sent already, or being sent by another attempt, is not sent again."""
    return deliver(mail_id).value
