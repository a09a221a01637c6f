"""How a video is shown: played from our own server, or loaded from a third party only after consent.

The page must not contact another host before the visitor agrees (DSGVO, TTDSG §25), so for an external video
the template gets the player address only as a data attribute, and `core/video-consent.js` builds the player
after the click. YouTube is embedded through youtube-nocookie.com, Vimeo through its player with `dnt=1`.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import parse_qs, urlencode, urlsplit

from .models import Video

MEDIA_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {"youtube.com", "m.youtube.com", "youtube-nocookie.com", "youtu.be"}
_VIMEO_HOSTS = {"vimeo.com", "player.vimeo.com"}


@dataclass(frozen=True)
class VideoDisplay:
    """One video as the template renders it.

    kind is `file` (uploaded, native player), `own` (a media file on our own host, native player),
    `youtube`, `vimeo` or `media` (external, player after consent) or `link` (external, only a link).
    """

    video: Video
    kind: str
    # Where the link to the video points, and where the player loads from (they differ for embeds).
    link_host: str = ""
    player_host: str = ""
    player_url: str = ""
    media_type: str = ""

    @property
    def needs_consent(self) -> bool:
        return self.kind in {"youtube", "vimeo", "media"}

    @property
    def is_external(self) -> bool:
        return self.kind in {"youtube", "vimeo", "media", "link"}


def _bare_host(host: str) -> str:
    host = host.lower()
    return host.removeprefix("www.")


def media_type(path: str) -> str:
    return MEDIA_TYPES.get(PurePosixPath(path).suffix.lower(), "")


def youtube_id(url: str) -> str:
    """The video id of a YouTube watch, short, embed or youtu.be address; empty when it has none."""
    parts = urlsplit(url)
    host = _bare_host(parts.hostname or "")
    if host not in _YOUTUBE_HOSTS:
        return ""
    segments = [segment for segment in parts.path.split("/") if segment]
    if host == "youtu.be":
        candidate = segments[0] if segments else ""
    elif segments[:1] == ["watch"]:
        candidate = parse_qs(parts.query).get("v", [""])[0]
    elif len(segments) >= 2 and segments[0] in {"embed", "shorts", "live", "v"}:
        candidate = segments[1]
    else:
        candidate = ""
    return candidate if _YOUTUBE_ID.match(candidate) else ""


def vimeo_player_url(url: str) -> str:
    """The player address for a Vimeo page or player link (keeping the hash of unlisted videos)."""
    parts = urlsplit(url)
    if _bare_host(parts.hostname or "") not in _VIMEO_HOSTS:
        return ""
    segments = [segment for segment in parts.path.split("/") if segment]
    for index, segment in enumerate(segments):
        if segment.isdigit():
            query = {"dnt": "1"}
            unlisted_hash = parse_qs(parts.query).get("h", [""])[0]
            if not unlisted_hash and index + 1 < len(segments) and segments[index + 1].isalnum():
                unlisted_hash = segments[index + 1]
            if unlisted_hash:
                query["h"] = unlisted_hash
            return f"https://player.vimeo.com/video/{segment}?{urlencode(query)}"
    return ""


def describe_video(video: Video, own_hosts: Iterable[str]) -> VideoDisplay:
    """Decide how to show a video; `own_hosts` are the host names that count as our own server."""
    if video.file:
        return VideoDisplay(video, "file", media_type=media_type(video.file.name))
    parts = urlsplit(video.url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return VideoDisplay(video, "link")
    host = parts.hostname.lower()
    own = {_bare_host(own_host) for own_host in own_hosts if own_host}
    if _bare_host(host) in own:
        found_type = media_type(parts.path)
        kind = "own" if found_type else "link"
        return VideoDisplay(video, kind, link_host=host, player_url=video.url, media_type=found_type)
    if video_id := youtube_id(video.url):
        player_url = f"https://www.youtube-nocookie.com/embed/{video_id}"
        return VideoDisplay(
            video, "youtube", link_host=host, player_host=urlsplit(player_url).hostname, player_url=player_url
        )
    if player_url := vimeo_player_url(video.url):
        return VideoDisplay(
            video, "vimeo", link_host=host, player_host=urlsplit(player_url).hostname, player_url=player_url
        )
    if found_type := media_type(parts.path):
        return VideoDisplay(
            video, "media", link_host=host, player_host=host, player_url=video.url, media_type=found_type
        )
    return VideoDisplay(video, "link", link_host=host)
