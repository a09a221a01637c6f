import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crosscluster.settings.production")

application = get_wsgi_application()


def _preload_encoder() -> None:
    """Load the sentence encoder now rather than in the first search or inquiry of this process."""
    from django.conf import settings

    if settings.ROUTING_PRELOAD_ENCODER:
        from crosscluster.routing.encoders import get_encoder

        get_encoder()


_preload_encoder()

# What the start-up loaded (Django, the apps, their libraries: about 170,000 objects) lives as long as the
# process. Frozen, the garbage collector no longer walks it on every full collection, which cost 80-90 ms
# and hit every few requests that create many objects, such as a calendar export (bench/events.py). With
# gunicorn's --preload it also keeps those pages shared between the forked workers.
gc.freeze()
