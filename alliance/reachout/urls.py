from django.urls import URLPattern, URLResolver, path

from alliance.reachout import views

urlpatterns: list[URLPattern | URLResolver] = [
    # Public: no account needed.
    path("reach-out/to/<slug:slug>/", views.reach_out_form_view, name="reach_out_form"),
    path("reach-out/to/<slug:slug>/thanks/", views.reach_out_thanks_view, name="reach_out_thanks"),
    # The therapist's requests, the clinic's intake list.
    path("reach-out/", views.reach_out_list_view, name="reach_out_list"),
    path("reach-out/page/", views.reach_out_page_view, name="reach_out_page"),
    path("reach-out/<uuid:request_id>/", views.reach_out_detail_view, name="reach_out_detail"),
    path("reach-out/<uuid:request_id>/reply/", views.reach_out_reply_view, name="reach_out_reply"),
    path(
        "reach-out/<uuid:request_id>/decline/",
        views.reach_out_decline_view,
        name="reach_out_decline",
    ),
    path(
        "reach-out/<uuid:request_id>/invite/",
        views.reach_out_invite_view,
        name="reach_out_invite",
    ),
]
