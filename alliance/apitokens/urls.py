from django.urls import URLPattern, URLResolver, path

from alliance.apitokens import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("account/api-tokens/", views.tokens_view, name="api_tokens"),
    path(
        "account/api-tokens/<uuid:token_id>/revoke/",
        views.token_revoke_view,
        name="api_token_revoke",
    ),
]
