"""Open311 GeoReport v2 under /open311/v2/ (see ``mofan.cases.open311``): each resource in .xml and .json."""

from django.urls import re_path

from mofan.cases import open311

app_name = "open311"
urlpatterns = [
    re_path(r"^services\.(?P<fmt>xml|json)$", open311.services, name="services"),
    re_path(r"^services/(?P<code>[^/.]+)\.(?P<fmt>xml|json)$", open311.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>xml|json)$", open311.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/.]+)\.(?P<fmt>xml|json)$", open311.request_detail, name="request"),
]
