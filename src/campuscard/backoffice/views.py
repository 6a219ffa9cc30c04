from django.http import HttpResponse


def card_list(request):
    return HttpResponse("TODO")


def outbox_failed(request):
    return HttpResponse("TODO")
