"""Public pages of the Kooperationsbörse and the owner's private token pages."""

from django.urls import path

from . import syndication, views

app_name = "cooperation"
urlpatterns = [
    path("kooperationen/", views.profile_list, name="list"),
    path("kooperationen/rss.xml", syndication.ProfilesFeed(), name="rss"),
    path("kooperationen/atom.xml", syndication.ProfilesAtomFeed(), name="atom"),
    path("kooperationen/einreichen/", views.submit, name="submit"),
    path("kooperationen/einreichen/danke/", views.submitted, name="submitted"),
    path("kooperationen/<int:pk>/", views.profile_detail, name="detail"),
    path("kooperationen/<int:pk>/interesse/", views.interest, name="interest"),
    path("kooperationen/interesse/gesendet/", views.interest_sent, name="interest-sent"),
    path("kooperationen/interesse/<str:token>/", views.confirm_interest, name="confirm-interest"),
    path("kooperationen/profil/<str:token>/", views.owner, name="owner"),
    path("kooperationen/profil/<str:token>/bearbeiten/", views.owner_edit, name="owner-edit"),
    path("kooperationen/profil/<str:token>/zurueckziehen/", views.owner_withdraw, name="owner-withdraw"),
    path("kooperationen/profil/<str:token>/verlaengern/", views.owner_renew, name="owner-renew"),
    path("kooperationen/verlaengern/<str:signed>/", views.renew, name="renew"),
    path("kooperationen/kontakt/<str:signed>/", views.decide, name="decide"),
]
