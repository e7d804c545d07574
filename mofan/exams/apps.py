from mofan.core.figures import FiguresAppConfig


class ExamsConfig(FiguresAppConfig):
    default = True  # apps.py also imports FiguresAppConfig, so say which config is the app's
    name = "mofan.exams"
    label = "exams"
    verbose_name = "exams"
