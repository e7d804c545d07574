"""The operations on a case (POST only) and the working calendar. Included by ``mofan.cases.urls`` (namespace
``cases``): ``cases:op_<name>`` takes the case's id for the centre's operations and the dispatch's id for the
department's (check_in, feedback, return, request_extension)."""

from django.urls import URLPattern, path

from mofan.cases import views_ops

urlpatterns: list[URLPattern] = [
    *(path(f"<int:pk>/ops/{name}/", views_ops.case_operation, {"name": name}, name=f"op_{name}")
      for name in views_ops.CASE_OPERATIONS),
    *(path(f"dispatches/<int:pk>/{name}/", views_ops.dispatch_operation, {"name": name}, name=f"op_{name}")
      for name in views_ops.DISPATCH_OPERATIONS),
    path("calendar/", views_ops.calendar_page, name="calendar"),
    path("calendar/day/", views_ops.calendar_set, name="calendar_set"),
    path("calendar/load/", views_ops.calendar_load, name="calendar_load"),
]
