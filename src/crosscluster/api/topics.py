"""Topics: the taxonomy that all regions share, in its own order."""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from crosscluster.directory.models import Topic

from .pagination import Page, PageParams, paginate
from .schemas import TopicList, TopicOut, problems

router = Router(tags=["Topics"])


@router.get(
    "/topics", response={200: TopicList, **problems(422)}, operation_id="listTopics", summary="List topics"
)
def list_topics(request: HttpRequest, page: Query[PageParams]) -> Page:
    return paginate(Topic.objects.order_by("position", "name", "pk"), page)


@router.get(
    "/topics/{slug:slug}",
    response={200: TopicOut, **problems(404)},
    operation_id="getTopic",
    summary="Get a topic",
)
def get_topic(request: HttpRequest, slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        raise Http404(_("There is no topic “%(slug)s”.") % {"slug": slug})
    return topic
