"""What an app server prepares when its process starts (portal.startup)."""

from django.template import engines

from crosscluster.portal import startup


def test_prepare_process_loads_the_urlconf_and_the_search_templates(settings):
    settings.ROUTING_PRELOAD_ENCODER = False

    startup.prepare_process()

    loader = engines["django"].engine.template_loaders[0]
    cached = getattr(loader, "get_template_cache", {})
    assert all(name in cached for name in startup.TEMPLATES)
