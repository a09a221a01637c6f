from django.http import Http404, HttpRequest, HttpResponse


def inquiry_form(request: HttpRequest) -> HttpResponse:
    raise Http404


def status(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404
