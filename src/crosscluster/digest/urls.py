"""Public digest pages: subscribe, confirm, the private "manage my subscription" page, unsubscribe."""

from django.urls import path

from . import views

app_name = "digest"
urlpatterns = [
    path("digest/", views.subscribe, name="subscribe"),
    path("digest/check-inbox/", views.check_inbox, name="check-inbox"),
    path("digest/confirm/<str:token>/", views.confirm, name="confirm"),
    path("digest/manage/<str:token>/", views.manage, name="manage"),
    path("digest/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
