from django.urls import path

from mofan.org import views

app_name = "org"
urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("people/", views.person_list, name="person_list"),
    path("import/", views.import_view, name="import"),
]
