from django.http import HttpResponse


def unit_tree(request, pk=None):
    return HttpResponse("placeholder")


unit_create = unit_export = unit_detail = unit_children = unit_edit = unit_move = unit_tree
person_list = person_create = person_export = person_detail = person_edit = person_reveal = unit_tree
