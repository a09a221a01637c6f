"""The one error class of the feed import: its message says why a feed could not be read."""


class FeedError(Exception):
    """A feed could not be fetched or is not a calendar/feed at all; `message` is shown to the subscriber."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
