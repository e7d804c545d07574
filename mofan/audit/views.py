from django.http import HttpResponse


def log_list(request):
    return HttpResponse("placeholder")
