from mofan.core.figures import FiguresAppConfig


class QuestionsConfig(FiguresAppConfig):
    default = True  # apps.py also imports FiguresAppConfig, so say which config is the app's
    name = "mofan.questions"
    label = "questions"
    verbose_name = "questions"
