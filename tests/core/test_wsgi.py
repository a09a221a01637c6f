"""The WSGI entry point of the app servers."""

import gc
import importlib


def test_the_app_server_freezes_what_start_up_loaded():
    gc.unfreeze()
    try:
        wsgi = importlib.import_module("crosscluster.wsgi")
        importlib.reload(wsgi)  # as a fresh process would run it

        assert callable(wsgi.application)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
