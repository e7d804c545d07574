from django.urls import path

from mofan.learning import views

app_name = "learning"

urlpatterns = [
    path("", views.home, name="home"),
    path("materials/", views.material_list, name="material_list"),
    path("materials/<int:pk>/", views.material_detail, name="material_detail"),
    path("materials/<int:pk>/read/", views.material_read, name="material_read"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/unfinished.xlsx", views.plan_export, name="plan_export"),
    path("daily/", views.issue_list, name="issue_list"),
    path("daily/<int:pk>/", views.issue_detail, name="issue_detail"),
    path("daily/<int:pk>/unfinished.xlsx", views.issue_export, name="issue_export"),
    path("board/", views.board, name="board"),
    path("points/rules/", views.points_rules, name="points_rules"),
    path("books/", views.reading_room, name="reading_room"),
    path("books/<int:pk>/borrow/", views.book_borrow, name="book_borrow"),
    path("loans/<int:pk>/return/", views.loan_return, name="loan_return"),
    path("talent/", views.talent, name="talent"),
    path("figures/", views.figures, name="figures"),
    path("figures/<str:key>/", views.figure_rows, name="figure_rows"),
    path("manage/<str:what>/new/", views.manage_create, name="manage_create"),
    path("plans/<int:pk>/sessions/new/", views.plan_session, name="plan_session"),
    path("talent/<int:pk>/rounds/new/", views.talent_round, name="talent_round"),
    path("talent/<int:pk>/select/", views.talent_select, name="talent_select"),
]
