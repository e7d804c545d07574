from mofan.core.figures import FiguresAppConfig


class ContestsConfig(FiguresAppConfig):
    default = True  # apps.py also imports FiguresAppConfig, so say which config is the app's
    name = "mofan.contests"
    label = "contests"
    verbose_name = "contests"
