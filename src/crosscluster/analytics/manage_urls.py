"""The statistics page; urls.py puts it with the other apps' manager pages under `manage:`."""

from django.urls import path

from . import views

urlpatterns = [
    path("statistiken/", views.statistics, name="statistics"),
]
