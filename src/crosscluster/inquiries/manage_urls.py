"""The inquiry inbox in the manager area; urls.py puts these under `manage:`."""

from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("anfragen/", views.inbox, name="inquiries"),
    path("anfragen/<int:pk>/", views.inquiry, name="inquiry"),
]
