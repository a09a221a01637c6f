"""The manager area's own pages; urls.py puts them with directory.manage_urls under `manage:`."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("api-tokens/", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/widerrufen/", views.api_token_revoke, name="api-token-revoke"),
]
