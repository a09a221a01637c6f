"""The calendar's error for changes it refuses (services, series, the feed import's field checks)."""


class EventError(Exception):
    """A change the calendar refuses; the message is translated and meant for the user."""
