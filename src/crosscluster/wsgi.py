import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crosscluster.settings.production")

application = get_wsgi_application()

from crosscluster.portal.startup import prepare_process  # noqa: E402 (after Django is set up)

# The URLconf, the search page's templates and the sentence encoder (ROUTING_PRELOAD_ENCODER), so that the
# first request of this process is not the one that pays for them.
prepare_process()

# What the start-up loaded (Django, the apps, their libraries: about 170,000 objects) lives as long as the
# process. Frozen, the garbage collector no longer walks it on every full collection, which cost 80-90 ms
# and hit every few requests that create many objects, such as a calendar export (bench/events.py). With
# gunicorn's --preload it also keeps those pages shared between the forked workers.
gc.freeze()
