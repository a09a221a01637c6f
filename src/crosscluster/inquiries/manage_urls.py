"""The inquiry inbox in the manager area; urls.py puts these under `manage:`.

Each step of an inquiry is a POST to its own URL, named `manage:inquiry-<step>` (see `manage_views.STEPS`).
"""

from django.urls import path

from . import manage_views as views

STEP_PATHS = {
    "accept": "annehmen",
    "forward": "weiterleiten",
    "involve": "beteiligen",
    "hand-back": "zurueckgeben",
    "resolve": "erledigt",
    "assign": "zuweisen",
    "close": "schliessen",
}

urlpatterns = [
    path("anfragen/", views.inbox, name="inquiries"),
    path("anfragen/uebersicht/", views.dashboard, name="inquiry-dashboard"),
    path("anfragen/<int:pk>/", views.inquiry, name="inquiry"),
    *(
        path(f"anfragen/<int:pk>/{segment}/", views.inquiry_step, {"step": step}, name=f"inquiry-{step}")
        for step, segment in STEP_PATHS.items()
    ),
]
