def test_healthz_reports_ok_when_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_display_time_zone_is_berlin_whatever_the_server_zone(client, db, settings):
    from django.utils import timezone

    seen = {}

    def probe(request):
        from django.http import HttpResponse

        seen["zone"] = str(timezone.get_current_timezone())
        return HttpResponse("ok")

    from crosscluster.core.middleware import display_time_zone

    display_time_zone(probe)(None)
    assert settings.TIME_ZONE != "Europe/Berlin"
    assert seen["zone"] == "Europe/Berlin"
