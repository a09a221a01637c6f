"""Videos of an organisation. Through the API only links to video platforms; uploads use the manager area."""

from django.http import HttpRequest
from ninja import Router, Status

from crosscluster.directory import services
from crosscluster.directory.models import Video

from .auth import actor, bearer_token
from .querysets import get_organization, get_video
from .schemas import VideoCreate, VideoOut, VideoUpdate, problems

router = Router(tags=["Videos"])


@router.post(
    "/organizations/{slug:slug}/videos",
    auth=bearer_token,
    response={201: VideoOut, **problems(400, 401, 403, 404, 422)},
    operation_id="createVideo",
    summary="Add a video from a video platform",
)
def create_video(request: HttpRequest, slug: str, payload: VideoCreate) -> Status[Video]:
    organization = get_organization(slug)
    video = services.create_video(organization, actor=actor(request), **payload.submitted())
    return Status(201, video)


@router.patch(
    "/organizations/{slug:slug}/videos/{video_id}",
    auth=bearer_token,
    response={200: VideoOut, **problems(400, 401, 403, 404, 422)},
    operation_id="updateVideo",
    summary="Change a video",
    description="Setting `url` on an uploaded video is refused: a video is either a file or a link.",
)
def update_video(request: HttpRequest, slug: str, video_id: int, payload: VideoUpdate) -> Video:
    video = get_video(get_organization(slug), video_id)
    return services.update_video(video, actor=actor(request), **payload.submitted())


@router.delete(
    "/organizations/{slug:slug}/videos/{video_id}",
    auth=bearer_token,
    response={204: None, **problems(401, 403, 404, 422)},
    operation_id="deleteVideo",
    summary="Delete a video",
)
def delete_video(request: HttpRequest, slug: str, video_id: int) -> Status[None]:
    services.delete_video(get_video(get_organization(slug), video_id), actor=actor(request))
    return Status(204, None)
