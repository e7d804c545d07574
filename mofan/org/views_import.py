from django.http import HttpResponse


def import_page(request):
    return HttpResponse("placeholder")


import_template = import_page
