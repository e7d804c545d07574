from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "mofan.demo"
    label = "demo"
    verbose_name = "demo"
