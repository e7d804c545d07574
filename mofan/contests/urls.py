from django.urls import path

from mofan.contests import views

app_name = "contests"

urlpatterns = [
    path("", views.competition_list, name="list"),
    path("new/", views.competition_create, name="create"),
    path("<int:pk>/", views.competition_detail, name="detail"),
    path("<int:pk>/rounds/new/", views.round_create, name="round_create"),
    path("<int:pk>/rounds/<int:round_id>/", views.round_detail, name="round"),
    path("<int:pk>/rounds/<int:round_id>/export/", views.round_export, name="round_export"),
    path("<int:pk>/rounds/<int:round_id>/heats/", views.round_heat, name="round_heat"),
    path("<int:pk>/rounds/<int:round_id>/heats/schedule/", views.round_heats_schedule, name="round_heats_schedule"),
    path("<int:pk>/rounds/<int:round_id>/questions/", views.round_draw, name="round_draw"),
    path("<int:pk>/rounds/<int:round_id>/enrol/", views.round_enrol, name="round_enrol"),
    path("<int:pk>/rounds/<int:round_id>/open/", views.round_state, {"action": "open"}, name="round_open"),
    path("<int:pk>/rounds/<int:round_id>/close/", views.round_state, {"action": "close"}, name="round_close"),
    path("<int:pk>/rounds/<int:round_id>/qualify/", views.round_state, {"action": "qualify"}, name="round_qualify"),
    path("<int:pk>/rounds/<int:round_id>/live/<int:rq_id>/", views.live_open, name="live_open"),
    path("<int:pk>/rounds/<int:round_id>/play/", views.play, name="play"),
    path("<int:pk>/rounds/<int:round_id>/play/current/", views.play_current, name="play_current"),
    path("<int:pk>/rounds/<int:round_id>/answer/", views.answer, name="answer"),
    path("<int:pk>/screen/", views.screen, name="screen"),
    path("<int:pk>/screen/board/", views.screen_board, name="screen_board"),
]
