"""Public inquiry pages: the form "Anfrage stellen" and the company's private status page."""

from django.urls import path

from . import views

app_name = "inquiries"
urlpatterns = [
    path("anfrage/", views.inquiry_form, name="create"),
    path("anfrage/danke/", views.thanks, name="thanks"),
    path("anfrage/zurueckgezogen/", views.withdrawn, name="withdrawn"),
    path("anfrage/status/<str:token>/", views.status, name="status"),
    path("anfrage/status/<str:token>/zurueckziehen/", views.withdraw, name="withdraw"),
]
