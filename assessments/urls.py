from django.urls import path

from .views import criterion, queue, resumable, wards

urlpatterns = [
    path("", wards.home, name="home"),
    path("wards/", wards.ward_list, name="ward_list"),
    path("wards/search/", wards.unit_search, name="unit_search"),
    path("wards/<str:code>/", wards.ward_detail, name="ward_detail"),
    path("wards/<str:code>/dossier/", wards.ward_dossier, name="ward_dossier"),
    path(
        "wards/<str:code>/<int:year>/<int:number>/",
        criterion.criterion_detail,
        name="criterion_detail",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/upload/",
        criterion.upload,
        name="criterion_upload",
    ),
    path(
        "wards/<str:code>/<int:year>/<int:number>/upload/resumable/",
        resumable.create,
        name="resumable_create",
    ),
    path("uploads/<uuid:pk>/", resumable.upload, name="resumable_upload"),
    path(
        "wards/<str:code>/<int:year>/<int:number>/<str:action>/",
        criterion.act,
        name="criterion_act",
    ),
    path("evidence/<int:pk>/", criterion.download, name="evidence_download"),
    path(
        "evidence/<int:pk>/view/",
        criterion.download,
        {"inline": True},
        name="evidence_view",
    ),
    path("evidence/<int:pk>/withdraw/", criterion.withdraw, name="evidence_withdraw"),
    path("review/", queue.review_queue, name="review_queue"),
]
