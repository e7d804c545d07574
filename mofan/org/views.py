from django.http import HttpResponse


def unit_tree(request):
    return HttpResponse("placeholder")


person_list = import_view = unit_tree
