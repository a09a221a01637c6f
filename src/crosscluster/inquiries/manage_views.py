from django.http import Http404, HttpRequest, HttpResponse


def inbox(request: HttpRequest) -> HttpResponse:
    raise Http404


def inquiry(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
