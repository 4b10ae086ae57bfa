from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse


@login_not_required
def signup(request):
    return HttpResponse("sign-up: coming")


def profile(request):
    return HttpResponse("profile: coming")
