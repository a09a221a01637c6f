"""Background tasks of the core: mail delivery."""

from django_tasks import task

from .mail import deliver


@task()
def deliver_mail(mail_id: int) -> bool:
    """Idempotent: a mail that is already sent is not sent again."""
    return deliver(mail_id)
