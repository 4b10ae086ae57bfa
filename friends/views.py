from django.http import HttpResponse


def friend_list(request):
    return HttpResponse("friends: coming")


def requests_page(request):
    return HttpResponse("requests: coming")
