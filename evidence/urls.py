from django.urls import path

from . import views

urlpatterns = [
    path(
        "wards/<str:code>/<int:year>/<int:number>/",
        views.criterion_detail,
        name="criterion_detail",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/upload/",
        views.upload,
        name="criterion_upload",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/<str:action>/",
        views.act,
        name="criterion_act",
    ),
    path("evidence/<int:pk>/", views.download, name="evidence_download"),
    path(
        "evidence/<int:pk>/view/",
        views.download,
        {"inline": True},
        name="evidence_view",
    ),
    path("evidence/<int:pk>/withdraw/", views.withdraw, name="evidence_withdraw"),
    path("review/", views.review_queue, name="review_queue"),
]
