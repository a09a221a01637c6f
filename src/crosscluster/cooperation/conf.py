"""The Kooperationsbörse's settings, each overridable in the project's settings under the same name."""

from django.conf import settings


def retention_days() -> int:
    """Closed profiles and introductions keep their personal data this long (as inquiries do)."""
    return int(getattr(settings, "COOPERATION_RETENTION_DAYS", settings.INQUIRY_RETENTION_DAYS))


def unconfirmed_days() -> int:
    """A profile or an interest whose e-mail address was not confirmed in this time is deleted."""
    return int(getattr(settings, "COOPERATION_UNCONFIRMED_DAYS", 7))


def answer_days() -> int:
    """The owner should answer an introduction within this many days; then a reminder goes out."""
    return int(getattr(settings, "COOPERATION_ANSWER_DAYS", 10))


def expiry_reminder_days() -> int:
    """The owner is reminded this many days before the profile expires (with a one-click renewal)."""
    return int(getattr(settings, "COOPERATION_EXPIRY_REMINDER_DAYS", 21))


def board_min_score() -> float:
    """Pairs below this score do not appear on the office's board "Wer passt zu wem"."""
    return float(getattr(settings, "COOPERATION_BOARD_MIN_SCORE", 0.5))
