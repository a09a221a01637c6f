from django.urls import path

from . import syndication, views

app_name = "news"
urlpatterns = [
    path("hinweise/", views.notice_list, name="list"),
    path("hinweise/rss.xml", syndication.NoticesFeed(), name="rss"),
    path("hinweise/atom.xml", syndication.NoticesAtomFeed(), name="atom"),
    path("hinweise/<slug:slug>/", views.notice_detail, name="notice"),
]
