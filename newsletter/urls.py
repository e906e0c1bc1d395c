from django.urls import path

from newsletter import views

app_name = "newsletter"

# The one-click unsubscribe address lives outside the language prefix, in config/urls.py.
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("thanks/", views.subscribe_done, name="subscribe_done"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("confirmed/", views.confirmed, name="confirmed"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path(
        "preferences/<str:token>/language/", views.preferences_language, name="preferences_language"
    ),
    path(
        "preferences/<str:token>/leave/",
        views.preferences_unsubscribe,
        name="preferences_unsubscribe",
    ),
    path(
        "preferences/<str:token>/return/",
        views.preferences_resubscribe,
        name="preferences_resubscribe",
    ),
    path(
        "preferences/<str:token>/data-link/",
        views.preferences_data_link,
        name="preferences_data_link",
    ),
    path("my-data/<str:token>/", views.my_data, name="my_data"),
    path("my-data/<str:token>/download/", views.my_data_download, name="my_data_download"),
    path("my-data/<str:token>/erase/", views.my_data_erase, name="my_data_erase"),
    path("erased/", views.erased, name="erased"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:pk>/", views.archive_issue, name="archive_issue"),
]
